// MARK: - A bounded byte FIFO for the send and receive buffers

/// A ring buffer of bytes with a fixed maximum capacity. Storage grows on demand (so an idle flow costs
/// little memory) and never beyond `capacity`.
struct ByteRing: Sendable {
    /// The most bytes the ring will ever hold.
    let capacity: Int
    private var storage: [UInt8] = []
    private var head = 0
    /// Bytes currently held.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    /// Free space before the ring is full.
    var room: Int { capacity - count }
    var isEmpty: Bool { count == 0 }

    // MARK: - Writing

    /// Appends as many of `bytes` as fit; returns how many were taken.
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, room)
        guard n > 0 else { return 0 }
        reserve(count + n)
        let size = storage.count
        var tail = head + count
        if tail >= size { tail -= size }
        let first = min(n, size - tail)
        storage.withUnsafeMutableBytes { dst in
            dst.baseAddress!.advanced(by: tail).copyMemory(from: bytes.baseAddress!, byteCount: first)
            if n > first {
                dst.baseAddress!.copyMemory(from: bytes.baseAddress!.advanced(by: first), byteCount: n - first)
            }
        }
        count += n
        return n
    }

    @discardableResult
    mutating func append(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Grows storage (linearising the content) so that `needed` bytes fit.
    private mutating func reserve(_ needed: Int) {
        guard needed > storage.count else { return }
        let newSize = min(capacity, max(needed, storage.count * 2, 4096))
        var fresh = [UInt8](repeating: 0, count: newSize)
        fresh.withUnsafeMutableBytes { copy(from: 0, count: count, into: $0) }
        storage = fresh
        head = 0
    }

    // MARK: - Reading

    /// Copies `n` bytes starting `offset` bytes after the head into `out` (which holds ≥ n bytes).
    func copy(from offset: Int, count n: Int, into out: UnsafeMutableRawBufferPointer) {
        precondition(offset >= 0 && n >= 0 && offset + n <= count && n <= out.count, "ByteRing copy out of range")
        guard n > 0 else { return }
        let size = storage.count
        var start = head + offset
        if start >= size { start -= size }
        let first = min(n, size - start)
        storage.withUnsafeBytes { src in
            out.baseAddress!.copyMemory(from: src.baseAddress!.advanced(by: start), byteCount: first)
            if n > first {
                out.baseAddress!.advanced(by: first).copyMemory(from: src.baseAddress!, byteCount: n - first)
            }
        }
    }

    /// Drops the first `n` bytes (clamped to what is held).
    mutating func removeFirst(_ n: Int) {
        let k = min(max(n, 0), count)
        guard k > 0 else { return }
        head += k
        if head >= storage.count { head -= storage.count }
        count -= k
        if count == 0 { head = 0 }
    }

    /// Removes and returns up to `max` bytes from the front.
    mutating func read(max: Int) -> [UInt8] {
        let n = min(Swift.max(max, 0), count)
        guard n > 0 else { return [] }
        let out = [UInt8](unsafeUninitializedCapacity: n) { buffer, initialized in
            copy(from: 0, count: n, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = n
        }
        removeFirst(n)
        return out
    }
}
