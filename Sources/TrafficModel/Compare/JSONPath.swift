/// A location in a JSON document, printed as `$.details.error` or `$.items[2]`.
public struct JSONPath: Hashable, Sendable {
    public enum Segment: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var segments: [Segment]

    public static let root = JSONPath(segments: [])

    public func appending(key: String) -> JSONPath { JSONPath(segments: segments + [.key(key)]) }
    public func appending(index: Int) -> JSONPath { JSONPath(segments: segments + [.index(index)]) }

    public var text: String {
        var out = "$"
        for segment in segments {
            switch segment {
            case .key(let k):
                if !k.isEmpty, k.utf8.allSatisfy({ isIdentifierByte($0) }) {
                    out += "." + k
                } else {
                    out += "["
                    JSONWriter.writeString(k, into: &out)
                    out += "]"
                }
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

func isIdentifierByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
}

/// A path pattern for `--ignore`: `$.timestamp`, `$.items[*].id`, `$.details.*`.
/// `*` matches one member or element; a pattern also covers everything below it.
struct PathPattern: Hashable, Sendable {
    enum Segment: Hashable, Sendable {
        case key(String)
        case index(Int)
        case any
    }

    let segments: [Segment]

    init(_ text: String) {
        var segments: [Segment] = []
        var rest = Substring(text)
        if rest.hasPrefix("$") { rest = rest.dropFirst() }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                let name = String(rest[..<end])
                segments.append(name == "*" ? .any : .key(name))
                rest = rest[end...]
            } else if rest.hasPrefix("[") {
                let end = rest.firstIndex(of: "]") ?? rest.endIndex
                let inner = rest[rest.index(after: rest.startIndex)..<end]
                if inner == "*" {
                    segments.append(.any)
                } else if let i = Int(inner) {
                    segments.append(.index(i))
                } else {
                    segments.append(.key(inner.trimmingCharacters(in: "\"'")))
                }
                rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            } else {
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                segments.append(.key(String(rest[..<end])))
                rest = rest[end...]
            }
        }
        self.segments = segments
    }

    func matches(_ path: JSONPath) -> Bool {
        guard path.segments.count >= segments.count else { return false }
        for (pattern, actual) in zip(segments, path.segments) {
            switch (pattern, actual) {
            case (.any, _): continue
            case (.key(let a), .key(let b)) where a == b: continue
            case (.index(let a), .index(let b)) where a == b: continue
            default: return false
            }
        }
        return true
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
