public import NIOCore

/// A min-heap of per-connection deadlines with lazy deletion: setting a new deadline pushes an entry and
/// outdated entries are skipped when they surface. Keeps `pollTimeout()` O(log n) with many connections.
struct TimerHeap: Sendable {
    private var heap: [(deadline: NIODeadline, handle: ConnectionHandle)] = []
    private var current: [ConnectionHandle: NIODeadline] = [:]

    mutating func set(_ handle: ConnectionHandle, to deadline: NIODeadline?) {
        guard current[handle] != deadline else { return }
        current[handle] = deadline
        guard let deadline else { return }
        heap.append((deadline, handle))
        siftUp(heap.count - 1)
        if heap.count > 64 && heap.count > 4 * current.count { rebuild() }
    }

    /// The earliest live deadline.
    mutating func earliest() -> NIODeadline? {
        dropStale()
        return heap.first?.deadline
    }

    /// Removes and returns every handle whose deadline is at or before `now`.
    mutating func popExpired(now: NIODeadline) -> [ConnectionHandle] {
        var expired: [ConnectionHandle] = []
        while true {
            dropStale()
            guard let top = heap.first, top.deadline <= now else { break }
            removeTop()
            current[top.handle] = nil
            expired.append(top.handle)
        }
        return expired
    }

    private mutating func dropStale() {
        while let top = heap.first, current[top.handle] != top.deadline { removeTop() }
    }

    private mutating func rebuild() {
        heap = current.compactMap { handle, deadline in (deadline, handle) }
        heap.sort { $0.deadline < $1.deadline }   // a sorted array is a valid heap
    }

    private mutating func removeTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
