public import TrafficModel

/// A recorded request close to an unmatched one, and exactly what differed.
public struct NearMiss: Hashable, Sendable {
    public struct Difference: Hashable, Sendable, CustomStringConvertible {
        public enum Field: String, Hashable, Sendable {
            case method, path, query, header, body, auth
        }

        public var field: Field
        public var description: String

        public var json: JSONValue {
            .object([("field", .string(field.rawValue)), ("difference", .string(description))])
        }
    }

    public var reference: RecordedReference
    /// `GET /ws?room=1` as recorded.
    public var recordedRequest: String
    public var differences: [Difference]

    /// Lower is nearer; a path or method mismatch weighs more than a parameter.
    var distance: Int {
        differences.reduce(0) { total, d in
            switch d.field {
            case .path: return total + 8
            case .method: return total + 4
            case .body, .auth: return total + 2
            case .query, .header: return total + 1
            }
        }
    }

    public var json: JSONValue {
        .object([
            ("recorded", reference.json),
            ("request", .string(recordedRequest)),
            ("differences", .array(differences.map(\.json))),
        ])
    }
}

extension NearMiss {
    /// What differs between a recorded request and a live one.
    static func differences(
        recorded: RequestShape, recordedClass: AuthClass, live: RequestShape, liveClass: AuthClass, exact: Bool
    ) -> [Difference] {
        var found: [Difference] = []
        if recorded.method != live.method {
            found.append(Difference(field: .method, description: "method: expected \(recorded.method), got \(live.method)"))
        }
        if recorded.path != live.path {
            found.append(Difference(field: .path, description: "path: expected \(recorded.path), got \(live.path)"))
        }
        found += queryDifferences(recorded.query, live.query)
        if recorded.bodyKey != live.bodyKey {
            // Empty when the bodies differ only in volatile values.
            for text in PayloadMatch.differences(expected: recorded.body, actual: live.body, exact: exact) {
                found.append(Difference(field: .body, description: text))
            }
        }
        if recordedClass != liveClass {
            found.append(Difference(field: .auth, description: "auth class: expected \(recordedClass.rawValue), got \(liveClass.rawValue)"))
            // Say where the credential was, when it moved or went missing.
            let recordedAt = Set(recorded.auth.locations)
            let liveAt = Set(live.auth.locations)
            for location in recordedAt.subtracting(liveAt).sorted() {
                found.append(Difference(field: .header, description: "credential \(location): recorded, missing from the request"))
            }
            for location in liveAt.subtracting(recordedAt).sorted() {
                found.append(Difference(field: .header, description: "credential \(location): in the request, not recorded"))
            }
        } else if let rs = recorded.auth.subject, let ls = live.auth.subject, rs != ls {
            found.append(Difference(field: .auth, description: "JWT sub: expected \"\(rs)\", got \"\(ls)\""))
        }
        return found
    }

    private static func queryDifferences(_ recorded: [RequestShape.QueryParameter], _ live: [RequestShape.QueryParameter]) -> [Difference] {
        func grouped(_ pairs: [RequestShape.QueryParameter]) -> [String: [String]] {
            Dictionary(grouping: pairs, by: \.name).mapValues { $0.map(\.value) }
        }
        let r = grouped(recorded)
        let l = grouped(live)
        var found: [Difference] = []
        for name in Set(r.keys).union(l.keys).sorted() {
            let rv = r[name] ?? []
            let lv = l[name] ?? []
            guard rv != lv else { continue }
            let text: String
            if lv.isEmpty {
                text = "query parameter \(name): expected \(quoted(rv)), missing"
            } else if rv.isEmpty {
                text = "query parameter \(name): not recorded, got \(quoted(lv))"
            } else {
                text = "query parameter \(name): expected \(quoted(rv)), got \(quoted(lv))"
            }
            found.append(Difference(field: .query, description: text))
        }
        return found
    }

    private static func quoted(_ values: [String]) -> String {
        values.map { "\"\($0)\"" }.joined(separator: ", ")
    }
}
