import Foundation

/// A Git repository built by a test with the `git` command, with fixed author and committer
/// dates so that commit ids are the same on every run and every machine.
///
/// Every call passes its identity and settings with `-c`, so it works on a CI machine without
/// a Git identity or with unusual global settings.
public final class GitFixture {
    /// A `git` command that failed, with what it printed.
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let output: String
        public var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(output)" }
    }

    public let url: URL
    /// Seconds after 2024-01-15 12:00:00 UTC of the next commit.
    private var clock = 0
    public var author = ("Ada Lovelace", "ada@example.com")

    /// Wraps the repository in `directory` (which must exist); see `initialize`.
    public init(at directory: URL) {
        url = directory
    }

    /// Runs `git init` on `main` in `directory` (created if needed).
    public static func initialize(at directory: URL, bare: Bool = false) throws -> GitFixture {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fixture = GitFixture(at: directory)
        try fixture.git(["init", "-q"] + (bare ? ["--bare"] : []))
        return fixture
    }

    /// Runs `git arguments…` in the repository and returns what it printed (standard output, then
    /// standard error), trimmed.
    @discardableResult
    public func git(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        let settings = [
            "-c", "init.defaultBranch=main", "-c", "user.name=\(author.0)", "-c", "user.email=\(author.1)",
            "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "advice.detachedHead=false",
            "-c", "protocol.file.allow=always", "-c", "merge.conflictstyle=merge",
        ]
        let date = "@\(1_705_320_000 + clock) +0000"
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in [
            "GIT_AUTHOR_NAME": author.0, "GIT_AUTHOR_EMAIL": author.1, "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": author.0, "GIT_COMMITTER_EMAIL": author.1, "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
        ] {
            environment[key] = value
        }
        let result = try ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["git"] + settings + arguments, in: url, environment: environment)
        let output = (result.stdout + result.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
        if result.status != 0, !allowFailure {
            throw Failure(arguments: arguments, status: result.status, output: output)
        }
        return output
    }

    /// Writes a file (folders created on the way), without staging it.
    public func write(_ path: String, _ text: String) throws {
        try write(path, bytes: Array(text.utf8))
    }

    public func write(_ path: String, bytes: [UInt8]) throws {
        let file = url.appending(path: path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
    }

    public func remove(_ path: String) throws {
        try FileManager.default.removeItem(at: url.appending(path: path))
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOf: url.appending(path: path), encoding: .utf8)
    }

    /// Stages everything and commits a minute after the previous commit; returns the commit id.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        clock += 60
        return try git(["rev-parse", "HEAD"])
    }

    /// Writes the files and commits them.
    @discardableResult
    public func commit(_ message: String, files: [String: String]) throws -> String {
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try write(path, text) }
        return try commit(message)
    }

    public func checkout(_ branch: String, create: Bool = false) throws {
        try git(["checkout", "-q"] + (create ? ["-b"] : []) + [branch])
    }

    /// Merges `branch` into the current one with a merge commit; returns the merge's id.
    @discardableResult
    public func merge(_ branch: String) throws -> String {
        try git(["merge", "-q", "--no-ff", "--no-edit", branch])
        clock += 60
        return try git(["rev-parse", "HEAD"])
    }

    /// Runs the given closure with another author for the commits it makes.
    public func `as`(_ name: String, _ email: String, _ body: () throws -> Void) rethrows {
        let saved = author
        author = (name, email)
        defer { author = saved }
        try body()
    }
}
