import TrafficModel

/// The values of every JSON member with one name, at any depth, in document
/// order (a member's own value before what is nested in it): what `--until
/// NAME=VALUE` asks of a server message and what `variants` reads its
/// `error_code` from. One walk for both.
enum JSONMembers {
    /// The members named `name` in `body` when it is JSON; nothing otherwise
    /// (the text is not parsed unless it mentions the name).
    static func values(named name: String, in body: Body) -> [JSONValue] {
        guard let text = body.text, text.contains(name), let json = try? JSONParser.parse(text) else { return [] }
        var found: [JSONValue] = []
        collect(name, in: json, into: &found)
        return found
    }

    private static func collect(_ name: String, in json: JSONValue, into found: inout [JSONValue]) {
        switch json {
        case .object(let members):
            for (key, value) in members {
                if key == name { found.append(value) }
                collect(name, in: value, into: &found)
            }
        case .array(let items):
            for item in items { collect(name, in: item, into: &found) }
        default:
            break
        }
    }
}
