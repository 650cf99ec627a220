import TrafficModel

/// Says when a recording's pseudonyms were made with another key than the
/// one this command holds: its secrets then cannot be matched (serve) or
/// bound by rule (replay) until the right key is given.
enum PseudonymKeyCheck {
    static func warning(recording: Recording, name: String, rules: RedactionRules) -> String? {
        guard let summary = recording.redaction, summary.enabled, !summary.counts.isEmpty else { return nil }
        let theirs = summary.pseudonymKeyID
        let ours = rules.pseudonymizer.keyID
        guard theirs != ours else { return nil }
        let made = theirs.map { "the pseudonym key \($0)" } ?? "the public default key"
        let held = ours.map { "key \($0)" } ?? "no project key"
        return "warning: \(name) was redacted with \(made) but this project has \(held): requests carrying its secrets "
            + "(passwords, API keys) will not match; set \(PseudonymKeyStore.environmentVariable) to the key of the project that made it"
    }
}
