import ArgumentParser

/// `authreplay export har|k6`: recordings to other tools' formats.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export recordings to other tools' formats: HAR 1.2, a k6 load script.",
        subcommands: [ExportHAR.self, ExportK6.self]
    )
}
