/// Zeller and Hildebrandt's ddmin ("Simplifying and Isolating
/// Failure-Inducing Input", TSE 2002): the smallest subset of `items`, in
/// their order, for which `test` still holds, 1-minimal (removing any one
/// item left makes it fail). `test(items)` is assumed to hold.
///
/// Pure but for `test`; each subset is tested at most once (results are
/// remembered).
public struct DeltaDebugging<Item: Sendable>: Sendable {
    private var seen: [[Int]: Bool] = [:]

    public init() {}

    /// `allowEmpty`: try the empty subset first (a level where nothing may be
    /// needed, such as the requests before a WebSocket upgrade).
    public mutating func minimize(
        _ items: [Item], allowEmpty: Bool = false, test: ([Item]) async -> Bool
    ) async -> [Item] {
        var current = Array(items.indices)
        func check(_ subset: [Int]) async -> Bool {
            if let known = seen[subset] { return known }
            let result = await test(subset.map { items[$0] })
            seen[subset] = result
            return result
        }
        if allowEmpty, !current.isEmpty, await check([]) { return [] }
        var n = 2
        while current.count >= 2 {
            let chunks = Self.split(current, into: n)
            var reduced = false
            for chunk in chunks where await check(chunk) {
                current = chunk
                n = 2
                reduced = true
                break
            }
            if !reduced, n > 2 {
                for i in chunks.indices {
                    let complement = chunks.indices.filter { $0 != i }.flatMap { chunks[$0] }
                    if await check(complement) {
                        current = complement
                        n = max(n - 1, 2)
                        reduced = true
                        break
                    }
                }
            }
            if !reduced {
                if n >= current.count { break }
                n = min(current.count, n * 2)
            }
        }
        return current.map { items[$0] }
    }

    /// `indices` in `n` nearly equal consecutive chunks.
    static func split(_ indices: [Int], into n: Int) -> [[Int]] {
        var chunks: [[Int]] = []
        var start = 0
        for i in 0..<n {
            let size = (indices.count - start) / (n - i)
            chunks.append(Array(indices[start..<(start + size)]))
            start += size
        }
        return chunks.filter { !$0.isEmpty }
    }
}
