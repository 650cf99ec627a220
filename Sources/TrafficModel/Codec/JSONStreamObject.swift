/// An object written straight to bytes as its members arrive, byte-identical
/// to building it with `JSONObjectBuilder` and writing that with
/// `JSONWriter.pretty`: both go through the writer's pretty-layout steps
/// (`prettyMember`, `prettyElement`, `prettyClose`). Plain member values are
/// written with the tree writer; objects and arrays of objects listed by a
/// value's `addMembers(to:)` are streamed, so a session's messages need no tree.
struct JSONStreamObject: JSONMemberSink {
    private var out: JSONWriter.Output
    /// The level the object stands at, as in `JSONWriter.pretty(_:level:)`.
    let level: Int
    private var count = 0

    // The output moves in and out by `swap`, never by copy: a copy would
    // leave two references to the buffer and make the next append copy all
    // of it (megabytes, for every message).

    /// Opens the object at the end of `out`, taking `out` over until `finish`.
    init(taking out: inout JSONWriter.Output, level: Int) {
        self.out = JSONWriter.Output()
        self.level = level
        swap(&self.out, &out)
        self.out.bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the object and hands the output back to `out`.
    mutating func finish(into out: inout JSONWriter.Output) {
        self.out.prettyClose(UInt8(ascii: "}"), empty: count == 0, level: level)
        swap(&self.out, &out)
    }

    mutating func add(_ key: String, _ value: JSONValue) {
        beginMember(key)
        out.write(value, indent: true, level: level + 1)
    }

    mutating func addObject(_ key: String, _ members: (inout JSONStreamObject) -> Void) {
        beginMember(key)
        var nested = JSONStreamObject(taking: &out, level: level + 1)
        members(&nested)
        nested.finish(into: &out)
    }

    mutating func addObjects<Element>(_ key: String, _ elements: [Element], _ members: (Element, inout JSONStreamObject) -> Void) {
        beginMember(key)
        // As the tree writer lays out an array of objects (never inline).
        guard !elements.isEmpty else {
            out.append("[]")
            return
        }
        out.bytes.append(UInt8(ascii: "["))
        for (i, element) in elements.enumerated() {
            out.prettyElement(first: i == 0, level: level + 1)
            var nested = JSONStreamObject(taking: &out, level: level + 2)
            members(element, &nested)
            nested.finish(into: &out)
        }
        out.prettyClose(UInt8(ascii: "]"), empty: false, level: level + 1)
    }

    private mutating func beginMember(_ name: String) {
        out.prettyMember(name, first: count == 0, level: level)
        count += 1
    }
}
