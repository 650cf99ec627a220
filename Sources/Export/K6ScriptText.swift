import TrafficModel

/// The text of an exported k6 script: a header saying how to run it, the
/// options block (commented, for a user to edit), the recorded units as
/// data, then the runtime (`K6Runtime`).
struct K6ScriptText {
    var toolVersion: String
    var sources: [String]
    var recordedTarget: String
    var stepTimeout: Double
    var secrets: [K6Exporter.Secret]
    var units: [JSONValue]
    var skipped: [(name: String, reason: String)]
    var statistics: K6Exporter.Statistics

    /// VUs of the default scenario: one per unit up to 10 (shared-iterations
    /// needs no more VUs than iterations).
    var vus: Int { max(1, min(units.count, 10)) }

    var text: String {
        var lines: [String] = []
        lines.append("// k6 script written by authreplay \(toolVersion) (authreplay export k6) from:")
        for source in sources { lines.append("//   \(Self.comment(source))") }
        lines.append("// \(statistics.sessions) recorded sessions in \(statistics.units) units (sessions chained by an issued token run together, in order).")
        for (name, reason) in skipped { lines.append("// Left out: \(Self.comment(name)): \(Self.comment(reason)).") }
        lines.append("//")
        lines.append("//   k6 run script.js                                every unit once, against the recorded host")
        lines.append("//   k6 run -e TARGET=http://HOST:PORT script.js     against another server")
        lines.append("//   k6 run --execution-segment 0:1/2 --execution-segment-sequence 0,1/2,1 script.js   half of it (k6-operator splits this way)")
        for secret in secrets {
            lines.append("//   -e \(secret.env)=...   the secret bound with --secret \(Self.comment(secret.rule))=env:\(secret.env) (read at run time, never written here)")
        }
        lines.append("// A failed check makes k6 exit non-zero (the thresholds below).")
        lines.append("import http from 'k6/http';")
        lines.append("import ws from 'k6/ws';")
        lines.append("import exec from 'k6/execution';")
        lines.append("import encoding from 'k6/encoding';")
        lines.append("import { check, fail } from 'k6';")
        lines.append("")
        lines.append("const TARGET = (__ENV.TARGET || \(Self.js(recordedTarget))).replace(/\\/+$/, '');")
        lines.append("const WS_TARGET = TARGET.replace(/^http/, 'ws');")
        lines.append("// Seconds k6 waits for a response, or for a WebSocket session to end.")
        lines.append("const STEP_TIMEOUT_SECONDS = \(formatFixed(stepTimeout, decimals: 1));")
        lines.append("")
        lines.append("export const options = {")
        lines.append("  scenarios: {")
        lines.append("    // Every unit once, the iterations shared by the VUs; --execution-segment splits them between k6 instances.")
        lines.append("    replay: { executor: 'shared-iterations', vus: \(vus), iterations: \(units.count), maxDuration: '10m' },")
        lines.append("    // For load, replace it: iterations cycle through the recorded units, so each session is")
        lines.append("    // replayed as often, relative to the others, as it was recorded. For example:")
        lines.append("    // load: { executor: 'constant-vus', vus: 50, duration: '1m' },")
        lines.append("    // ramp: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '30s', target: 50 }, { duration: '1m', target: 50 }, { duration: '10s', target: 0 }] },")
        lines.append("  },")
        lines.append("  thresholds: {")
        lines.append("    // Every check must pass (k6 exits 99 otherwise). Under load, loosen it, e.g. ['rate>0.99'],")
        lines.append("    // or add latency bounds, e.g. http_req_duration: ['p(95)<500'].")
        lines.append("    checks: ['rate==1.0'],")
        lines.append("  },")
        lines.append("};")
        lines.append("")
        lines.append("// Secrets: the recording holds the marker where the secret is sent.")
        let secretData: JSONValue = .array(secrets.map { .object([("rule", .string($0.rule)), ("env", .string($0.env)), ("marker", .string($0.marker))]) })
        lines.append("const SECRETS = \(Self.safe(JSONWriter.pretty(secretData)).trimmingNewline());")
        lines.append("")
        lines.append("// What each unit sends and expects, from the recordings (redacted as they are).")
        lines.append("const UNITS = \(Self.safe(JSONWriter.pretty(.array(units))).trimmingNewline());")
        lines.append("")
        return lines.joined(separator: "\n") + "\n" + K6Runtime.text + "\n"
    }

    /// A JavaScript string literal.
    static func js(_ text: String) -> String { safe(JSONWriter.compact(.string(text))) }

    /// JSON is JavaScript except for U+2028 and U+2029 inside strings in older engines: escaped.
    static func safe(_ json: String) -> String {
        json.replacing("\u{2028}", with: "\\u2028").replacing("\u{2029}", with: "\\u2029")
    }

    /// Text for a `//` comment: one line.
    static func comment(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}

extension String {
    fileprivate func trimmingNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}
