import Fixtures
import XCTest

final class DeltaDebuggingTests: XCTestCase {
    /// A failure that needs two items far apart is found with both, and nothing else.
    func testFindsTheTwoItemsThatMatter() async {
        var dd = DeltaDebugging<Int>()
        var runs = 0
        let kept = await dd.minimize(Array(0..<40)) { subset in
            runs += 1
            return subset.contains(3) && subset.contains(31)
        }
        XCTAssertEqual(kept, [3, 31])
        XCTAssertLessThan(runs, 60, "ddmin is logarithmic-ish for two causes among 40")
    }

    /// The result is 1-minimal: dropping any one item left breaks the test.
    func testResultIsOneMinimalForEveryPredicateOfThisFamily() async {
        for seed in 0..<30 {
            let needed = Set((0..<4).map { (seed * 7 + $0 * 11) % 25 })
            var dd = DeltaDebugging<Int>()
            let test: ([Int]) -> Bool = { needed.isSubset(of: $0) }
            let kept = await dd.minimize(Array(0..<25)) { test($0) }
            XCTAssertEqual(Set(kept), needed, "seed \(seed)")
            for i in kept.indices {
                var fewer = kept
                fewer.remove(at: i)
                XCTAssertFalse(test(fewer))
            }
        }
    }

    /// Order is kept; a subset is never tested twice.
    func testKeepsOrderAndTestsEachSubsetOnce() async {
        var dd = DeltaDebugging<String>()
        var tested: [[String]] = []
        let items = ["a", "b", "c", "d", "e", "f", "g"]
        let kept = await dd.minimize(items) { subset in
            tested.append(subset)
            return subset.contains("f") && subset.contains("b")
        }
        XCTAssertEqual(kept, ["b", "f"])
        XCTAssertEqual(tested.count, Set(tested).count, "each subset once")
    }

    func testEmptyIsTriedFirstOnlyWhenAllowed() async {
        var dd = DeltaDebugging<Int>()
        var first: [Int]?
        let kept = await dd.minimize([1, 2, 3], allowEmpty: true) { subset in
            if first == nil { first = subset }
            return true
        }
        XCTAssertEqual(first, [])
        XCTAssertEqual(kept, [])

        var strict = DeltaDebugging<Int>()
        let one = await strict.minimize([1, 2, 3]) { _ in true }
        XCTAssertEqual(one.count, 1, "without allowEmpty one item stays")
    }
}
