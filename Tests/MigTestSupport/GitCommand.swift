import Foundation

/// Drives the `git` command to build fixture repositories (tests only: mig itself reads Git
/// through libgit2). Identity and dates are fixed so commit ids are reproducible.
public enum GitCommand {
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let output: String
        public var description: String { "git \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    public static let environment: [String: String] = [
        "GIT_AUTHOR_NAME": "Mig Tester", "GIT_AUTHOR_EMAIL": "tester@example.com",
        "GIT_COMMITTER_NAME": "Mig Tester", "GIT_COMMITTER_EMAIL": "tester@example.com",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
    ]

    /// Runs `git arguments…` in `directory` and returns its standard output; throws when it fails.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL, environment extra: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, fixed in fixed }
            .merging(extra) { _, given in given }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw Failure(arguments: arguments, output: text) }
        return text
    }
}
