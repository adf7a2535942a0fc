@testable import QUICCore
import Testing

@Suite struct RangeSetTests {
    // MARK: - Insertion

    @Test func emptySet() {
        let set = RangeSet()
        #expect(set.isEmpty)
        #expect(set.count == 0)
        #expect(set.min == nil)
        #expect(set.max == nil)
        #expect(!set.contains(0))
        #expect(set.containsAll(5..<5))
        #expect(set.gaps(in: 3..<7) == [3..<7])
    }

    @Test func appendingInOrderExtendsTheLastRange() {
        var set = RangeSet()
        for value in UInt64(0)..<100 { set.insert(value) }
        #expect(set.ranges == [0..<100])
        #expect(set.min == 0)
        #expect(set.max == 99)
    }

    @Test func insertReportsWhetherAnythingWasAdded() {
        var set = RangeSet()
        let added = set.insert(10..<20)
        #expect(added)
        let added2 = set.insert(12..<18)
        #expect(!added2)
        let added3 = set.insert(10..<20)
        #expect(!added3)
        let added4 = set.insert(5..<5)
        #expect(!added4)
        let added5 = set.insert(15..<25)
        #expect(added5)
        #expect(set.ranges == [10..<25])
        let added6 = set.insert(0..<3)
        #expect(added6)
        let added7 = set.insert(1..<2)
        #expect(!added7)
        #expect(set.ranges == [0..<3, 10..<25])
    }

    @Test func adjacentRangesMerge() {
        var set = RangeSet()
        set.insert(10..<20)
        set.insert(20..<30)
        #expect(set.ranges == [10..<30])
        set.insert(5..<10)
        #expect(set.ranges == [5..<30])
        set.insert(40..<50)
        set.insert(30..<40)
        #expect(set.ranges == [5..<50])
        set.insert(4)
        set.insert(50)
        #expect(set.ranges == [4..<51])
    }

    @Test func bridgingRangeMergesSeveral() {
        var set = RangeSet()
        set.insert(0..<2)
        set.insert(4..<6)
        set.insert(8..<10)
        set.insert(12..<14)
        #expect(set.count == 4)
        let added = set.insert(1..<13)
        #expect(added)
        #expect(set.ranges == [0..<14])
    }

    @Test func insertInTheMiddleKeepsOrder() {
        var set = RangeSet()
        set.insert(0..<2)
        set.insert(20..<22)
        set.insert(10..<12)
        set.insert(5)
        #expect(set.ranges == [0..<2, 5..<6, 10..<12, 20..<22])
        #expect(set.contains(5))
        #expect(!set.contains(6))
        #expect(set.contains(21))
        #expect(!set.contains(22))
    }

    // MARK: - Queries

    @Test func containsAllAndGaps() {
        var set = RangeSet()
        set.insert(10..<20)
        set.insert(30..<40)
        #expect(set.containsAll(10..<20))
        #expect(set.containsAll(12..<15))
        #expect(!set.containsAll(15..<25))
        #expect(!set.containsAll(5..<12))
        #expect(!set.containsAll(10..<40))
        #expect(set.gaps(in: 0..<50) == [0..<10, 20..<30, 40..<50])
        #expect(set.gaps(in: 15..<35) == [20..<30])
        #expect(set.gaps(in: 12..<18) == [])
        #expect(set.gaps(in: 20..<30) == [20..<30])
        #expect(set.gaps(in: 40..<45) == [40..<45])
    }

    // MARK: - Removal

    @Test func removeSplitsAndTrims() {
        var set = RangeSet()
        set.insert(0..<100)
        set.remove(40..<60)
        #expect(set.ranges == [0..<40, 60..<100])
        set.remove(30..<70)
        #expect(set.ranges == [0..<30, 70..<100])
        set.remove(0..<10)
        #expect(set.ranges == [10..<30, 70..<100])
        set.remove(90..<200)
        #expect(set.ranges == [10..<30, 70..<90])
        set.remove(0..<1000)
        #expect(set.isEmpty)
    }

    @Test func removeSpanningSeveralRanges() {
        var set = RangeSet()
        set.insert(0..<10)
        set.insert(20..<30)
        set.insert(40..<50)
        set.insert(60..<70)
        set.remove(5..<65)
        #expect(set.ranges == [0..<5, 65..<70])
        set.remove(5..<65)
        #expect(set.ranges == [0..<5, 65..<70])
    }

    @Test func removeAllBelowAndDropSmallest() {
        var set = RangeSet()
        set.insert(0..<10)
        set.insert(20..<30)
        set.insert(40..<50)
        set.removeAll(below: 25)
        #expect(set.ranges == [25..<30, 40..<50])
        set.removeAll(below: 30)
        #expect(set.ranges == [40..<50])
        set.removeAll(below: 10)
        #expect(set.ranges == [40..<50])
        set.insert(60..<70)
        set.dropSmallest()
        #expect(set.ranges == [60..<70])
        set.dropSmallest()
        #expect(set.isEmpty)
        set.dropSmallest()
        #expect(set.isEmpty)
    }

    @Test func largestValueIsIgnoredNotTrapped() {
        var set = RangeSet()
        set.insert(UInt64.max)
        #expect(set.isEmpty)
        set.insert(UInt64.max - 1)
        #expect(set.max == UInt64.max - 1)
    }

    // MARK: - Model check

    /// Random operations on small values, compared with a `Set<UInt64>` after each step.
    @Test(arguments: [UInt64(1), 2, 3, 42, 0xC0FFEE])
    func matchesSetModel(seed: UInt64) {
        var random = PartsSeededGenerator(seed: seed)
        var set = RangeSet()
        var model = Set<UInt64>()
        for _ in 0..<2000 {
            let low = UInt64.random(in: 0..<200, using: &random)
            let high = low + UInt64.random(in: 0..<12, using: &random)
            let range = low..<high
            switch UInt64.random(in: 0..<10, using: &random) {
            case 0..<5:
                let isNew = range.contains { !model.contains($0) }
                let added = set.insert(range)
                #expect(added == isNew)
                model.formUnion(range)
            case 5:
                set.insert(low)
                model.insert(low)
            case 6..<8:
                set.remove(range)
                model.subtract(range)
            case 8:
                set.removeAll(below: low)
                model = model.filter { $0 >= low }
            default:
                #expect(set.containsAll(range) == range.allSatisfy(model.contains))
                let gaps = set.gaps(in: range).flatMap { Array($0) }
                #expect(gaps == range.filter { !model.contains($0) })
            }
            #expect(Self.values(of: set) == model)
            #expect(Self.isCanonical(set))
            #expect(set.min == model.min())
            #expect(set.max == model.max())
            let probe = UInt64.random(in: 0..<220, using: &random)
            #expect(set.contains(probe) == model.contains(probe))
        }
    }

    private static func values(of set: RangeSet) -> Set<UInt64> {
        Set(set.ranges.flatMap { Array($0) })
    }

    /// Sorted, non-empty, disjoint and non-adjacent.
    private static func isCanonical(_ set: RangeSet) -> Bool {
        for (index, range) in set.ranges.enumerated() {
            if range.isEmpty { return false }
            if index > 0, set.ranges[index - 1].upperBound >= range.lowerBound { return false }
        }
        return true
    }
}
