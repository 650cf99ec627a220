/// Where a model value puts its JSON object members, in order. A value
/// lists its members once (`addMembers(to:)`), and two sinks take them:
/// `JSONObjectBuilder` builds the `JSONValue` tree (`RecordingCodec.encode`),
/// `JSONStreamObject` writes them straight to bytes in the same pretty layout
/// (`RecordingStreamEncoder`, for the megabytes of WebSocket messages an
/// import writes). Absent optional members are left out so a recording
/// carries no noise.
protocol JSONMemberSink {
    mutating func add(_ key: String, _ value: JSONValue)
    /// A member whose value is an object, listed by `members`.
    mutating func addObject(_ key: String, _ members: (inout Self) -> Void)
    /// A member whose value is an array of objects, each listed by `members`.
    mutating func addObjects<Element>(_ key: String, _ elements: [Element], _ members: (Element, inout Self) -> Void)
}

extension JSONMemberSink {
    mutating func add(_ key: String, _ value: String) { add(key, .string(value)) }
    mutating func add(_ key: String, _ value: Int) { add(key, .int(value)) }
    mutating func addTime(_ key: String, _ value: Double) { add(key, .fixed(value)) }
    mutating func addIfPresent(_ key: String, _ value: JSONValue?) { if let value { add(key, value) } }
    mutating func addIfPresent(_ key: String, _ value: String?) { if let value { add(key, value) } }
    mutating func addIfPresent(_ key: String, _ value: Int?) { if let value { add(key, value) } }
    mutating func addIfNotEmpty(_ key: String, _ values: [JSONValue]) { if !values.isEmpty { add(key, .array(values)) } }
}

/// Builds an ordered JSON object.
struct JSONObjectBuilder: JSONMemberSink {
    private(set) var members: [(String, JSONValue)] = []

    var object: JSONValue { .object(members) }

    mutating func add(_ key: String, _ value: JSONValue) { members.append((key, value)) }

    mutating func addObject(_ key: String, _ list: (inout JSONObjectBuilder) -> Void) {
        var nested = JSONObjectBuilder()
        list(&nested)
        add(key, nested.object)
    }

    mutating func addObjects<Element>(_ key: String, _ elements: [Element], _ list: (Element, inout JSONObjectBuilder) -> Void) {
        add(key, .array(elements.map { element in
            var nested = JSONObjectBuilder()
            list(element, &nested)
            return nested.object
        }))
    }
}
