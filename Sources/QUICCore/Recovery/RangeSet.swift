/// A set of `UInt64` values stored as sorted, disjoint, non-adjacent half-open ranges.
///
/// Used for received packet numbers (ACK ranges, RFC 9000 §13.2.3), acknowledged and lost stream bytes,
/// and received stream bytes. The common case — values arriving in increasing order — appends to or
/// extends the last range in O(1); anything else is a binary search plus an array splice.
///
/// `UInt64.max` itself cannot be represented (ranges are half-open); QUIC values are below 2^62.
struct RangeSet: Equatable, Sendable {
    /// The ranges, ascending, disjoint and never adjacent (adjacent ranges are merged).
    private(set) var ranges: [Range<UInt64>] = []

    init() {}

    // MARK: - Queries

    var isEmpty: Bool { ranges.isEmpty }

    /// The number of ranges (not of values).
    var count: Int { ranges.count }

    /// The smallest value in the set.
    var min: UInt64? { ranges.first?.lowerBound }

    /// The largest value in the set.
    var max: UInt64? { ranges.last.map { $0.upperBound - 1 } }

    func contains(_ value: UInt64) -> Bool {
        // Fast path: most lookups (duplicate packet detection) concern recent values.
        if let last = ranges.last, value >= last.lowerBound { return value < last.upperBound }
        let index = firstIndex(upperBoundAbove: value)
        return index < ranges.count && ranges[index].lowerBound <= value
    }

    /// Whether every value of `range` is in the set (true for an empty range).
    func containsAll(_ range: Range<UInt64>) -> Bool {
        guard !range.isEmpty else { return true }
        let index = firstIndex(upperBoundAbove: range.lowerBound)
        guard index < ranges.count else { return false }
        return ranges[index].lowerBound <= range.lowerBound && ranges[index].upperBound >= range.upperBound
    }

    /// Subranges of `range` that are NOT in the set (gaps), ascending.
    func gaps(in range: Range<UInt64>) -> [Range<UInt64>] {
        guard !range.isEmpty else { return [] }
        var result: [Range<UInt64>] = []
        var cursor = range.lowerBound
        var index = firstIndex(upperBoundAbove: range.lowerBound)
        while index < ranges.count, ranges[index].lowerBound < range.upperBound {
            let existing = ranges[index]
            if existing.lowerBound > cursor { result.append(cursor..<existing.lowerBound) }
            cursor = Swift.max(cursor, existing.upperBound)
            index += 1
        }
        if cursor < range.upperBound { result.append(cursor..<range.upperBound) }
        return result
    }

    // MARK: - Insertion

    /// Adds `range`. Returns true if any value was not already in the set.
    @discardableResult
    mutating func insert(_ range: Range<UInt64>) -> Bool {
        guard !range.isEmpty else { return false }
        guard let last = ranges.last else {
            ranges.append(range)
            return true
        }
        // Fast paths: beyond the end (a new range) or touching only the last range. The range before `last`
        // ends below `last.lowerBound - 1`, so a range starting at or after `last.lowerBound` cannot reach it.
        if range.lowerBound > last.upperBound {
            ranges.append(range)
            return true
        }
        if range.lowerBound >= last.lowerBound {
            guard range.upperBound > last.upperBound else { return false }
            ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
            return true
        }
        // General case: ranges[first..<end] overlap or touch `range` and collapse into one.
        let first = firstIndex(upperBoundAtLeast: range.lowerBound)
        var end = first
        while end < ranges.count, ranges[end].lowerBound <= range.upperBound { end += 1 }
        if first == end {
            ranges.insert(range, at: first)
            return true
        }
        let low = ranges[first]
        let high = ranges[end - 1]
        if end - first == 1, low.lowerBound <= range.lowerBound, low.upperBound >= range.upperBound {
            return false
        }
        let merged = Swift.min(low.lowerBound, range.lowerBound)..<Swift.max(high.upperBound, range.upperBound)
        ranges[first] = merged
        if end - first > 1 { ranges.removeSubrange((first + 1)..<end) }
        return true
    }

    /// Adds one value (ignored for `UInt64.max`, which a half-open range cannot hold).
    mutating func insert(_ value: UInt64) {
        guard value < UInt64.max else { return }
        // Fast path: the next value in sequence extends the last range without a search.
        if let last = ranges.last, value == last.upperBound {
            ranges[ranges.count - 1] = last.lowerBound..<(value + 1)
            return
        }
        insert(value..<(value + 1))
    }

    // MARK: - Removal

    /// Removes every value of `range` from the set, splitting a range when needed.
    mutating func remove(_ range: Range<UInt64>) {
        guard !range.isEmpty else { return }
        let first = firstIndex(upperBoundAbove: range.lowerBound)
        var end = first
        while end < ranges.count, ranges[end].lowerBound < range.upperBound { end += 1 }
        guard first < end else { return }
        let low = ranges[first]
        let high = ranges[end - 1]
        // What survives: the part of the first overlapped range below `range`, and of the last one above it.
        var write = first
        if low.lowerBound < range.lowerBound {
            ranges[write] = low.lowerBound..<range.lowerBound
            write += 1
        }
        if high.upperBound > range.upperBound {
            let right = range.upperBound..<high.upperBound
            if write < end {
                ranges[write] = right
            } else {
                ranges.insert(right, at: write)
                end += 1
            }
            write += 1
        }
        if write < end { ranges.removeSubrange(write..<end) }
    }

    /// Removes every value below `value`.
    mutating func removeAll(below value: UInt64) {
        guard let first = ranges.first, first.lowerBound < value else { return }
        let index = firstIndex(upperBoundAbove: value)
        if index > 0 { ranges.removeFirst(index) }
        if let head = ranges.first, head.lowerBound < value {
            ranges[0] = value..<head.upperBound
        }
    }

    /// Drops the smallest range (the oldest packet numbers), to bound memory.
    mutating func dropSmallest() {
        guard !ranges.isEmpty else { return }
        ranges.removeFirst()
    }

    // MARK: - Binary search

    /// The index of the first range whose upper bound is greater than `value` (a range containing or above it).
    private func firstIndex(upperBoundAbove value: UInt64) -> Int {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if ranges[mid].upperBound <= value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The index of the first range whose upper bound is at least `value` (containing, touching or above it).
    private func firstIndex(upperBoundAtLeast value: UInt64) -> Int {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if ranges[mid].upperBound < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
