import MockStaging
import TrafficModel

/// The redaction rules a mock serves recordings with: live requests are
/// redacted as the recordings were, so they need the same pseudonym key.
enum ServingRules {
    static func load(_ rulesFile: String?, for named: [(name: String, recording: Recording)]) throws -> RedactionRules {
        var rules = try RedactionRulesFiles.load(rulesFile, key: .ifPresent)
        let keyIDs = Set(named.compactMap { $0.recording.redaction?.enabled == true ? $0.recording.redaction?.pseudonymKeyID ?? "" : nil })
        if keyIDs == [""] {
            // Every recording was made with the public default key (the shipped examples, recordings from before project keys).
            rules.pseudonymizer = Pseudonymizer()
        }
        for (name, recording) in named {
            if let warning = PseudonymKeyCheck.warning(recording: recording, name: name, rules: rules) { Terminal.info(warning) }
        }
        return rules
    }
}
