import Foundation
import Replay
import TrafficModel

/// `replay --secret RULE=VALUE` and `--secrets-file`: secrets bound at run
/// time into a redacted recording (see `SecretBinder`), never written.
enum SecretOptions {
    /// The bindings, `env:NAME` values read from the environment. A usage
    /// error (exit 2) names the binding that cannot be used.
    static func bindings(_ flags: [String], file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [SecretBinding] {
        try parsed(flags, file: file).map { binding, origin in
            var binding = binding
            if let name = environmentName(binding) {
                guard let value = environment[name] else {
                    Terminal.error("\(origin): \(binding.name) takes its value from $\(name), which is not set")
                    throw CommandFailure(code: Exit.usage)
                }
                binding.value = value
            }
            return binding
        }
    }

    /// The bindings as written (`env:NAME` not yet read), each with where it was written.
    static func parsed(_ flags: [String], file: String?) throws -> [(binding: SecretBinding, origin: String)] {
        var lines: [(text: String, origin: String)] = flags.map { ($0, "--secret") }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                Terminal.error("--secrets-file \(file): cannot read it (does it exist?)")
                throw CommandFailure(code: Exit.usage)
            }
            for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.isEmpty || text.hasPrefix("#") { continue }
                lines.append((text, "\(file):\(number + 1)"))
            }
        }
        return try lines.map { text, origin in
            guard let binding = SecretBinding(parsing: text) else {
                Terminal.error("\(origin): \"\(text.prefix { $0 != "=" })…\" is not RULE=VALUE (e.g. body:password=env:STAGING_PASSWORD)")
                throw CommandFailure(code: Exit.usage)
            }
            return (binding, origin)
        }
    }

    /// `NAME` of a binding whose value is `env:NAME`.
    static func environmentName(_ binding: SecretBinding) -> String? {
        binding.value.hasPrefix("env:") ? String(binding.value.dropFirst(4)) : nil
    }

    /// Binds the secrets into one recording; a binding that matches nothing
    /// is refused before anything is sent.
    static func bind(_ bindings: [SecretBinding], in recording: Recording, name: String, rules: RedactionRules) throws -> (Recording, [String: [String]]) {
        var rules = rules
        if recording.redaction?.pseudonymKeyID == nil { rules.pseudonymizer = Pseudonymizer() }  // made with the public default key
        do {
            return try SecretBinder(bindings: bindings, rules: rules).bind(recording)
        } catch {
            Terminal.error("\(name): \(error)")
            throw CommandFailure(code: Exit.usage)
        }
    }

    /// Says, on each session's result, which redacted values it sent unbound:
    /// a 401 there is the pseudonym's, not the server's fault.
    static func note(_ unbound: [String: [String: [String]]], in report: inout ReplayReport) {
        for i in report.results.indices {
            guard let values = unbound[report.results[i].recording]?[report.results[i].session], !values.isEmpty else { continue }
            let rules = Array(Set(values.map { String($0.prefix { $0 != " " }) })).sorted()
            report.results[i].notes.append(
                "sent redacted values, not the secrets (\(values.joined(separator: ", "))): bind them with "
                    + rules.map { "--secret \($0)=VALUE" }.joined(separator: " "))
        }
    }
}
