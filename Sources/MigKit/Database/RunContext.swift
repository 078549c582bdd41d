import Foundation

/// Who applies migrations and from which commit: what the history table records beside each row,
/// and where the migration directory is shown to people.
public struct RunContext: Sendable {
    /// Git's `user.name`, else `$USER`.
    public let appliedBy: String
    /// The HEAD commit of the project's repository, if it is in one with commits.
    public let gitCommit: String?
    /// The migration directory relative to the project root, prefixed to script paths in messages.
    public let directoryPrefix: String

    public init(appliedBy: String, gitCommit: String?, directoryPrefix: String) {
        self.appliedBy = appliedBy
        self.gitCommit = gitCommit
        self.directoryPrefix = directoryPrefix
    }

    /// The context of a run from `project`'s root.
    public static func current(for project: Project, environment: [String: String]) -> RunContext {
        let repository = try? GitRepository(discoveringFrom: project.root)
        return RunContext(
            appliedBy: repository?.configValue("user.name") ?? environment["USER"] ?? "unknown",
            gitCommit: repository?.headCommitID(),
            directoryPrefix: project.configuration.migrations.directory)
    }

    /// A script's path as people see it: relative to the project root.
    public func displayPath(of path: String) -> String {
        Self.displayPath(of: path, under: directoryPrefix)
    }

    static func displayPath(of path: String, under prefix: String) -> String {
        prefix.isEmpty || prefix == "." ? path : prefix + "/" + path
    }
}

/// Whether a step runs a migration's up or its down script.
public enum Direction: String, Sendable, Codable {
    case up, down
}

/// A migration script that failed, where, and what the database said.
public struct MigrationFailure: Error, Sendable, CustomStringConvertible {
    public let migration: String
    public let direction: Direction
    /// The file (relative to the project root) and line of the failing statement.
    public let location: SourceLocation?
    /// The database's own message.
    public let message: String
    /// Whether it failed in a shadow rehearsal, before the real database was touched.
    public let inShadow: Bool

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let consequence =
            inShadow
            ? " (in the shadow rehearsal: the database was not changed; fix the migration, or pass --no-shadow to skip the rehearsal)"
            : " (the database is as it was before this migration)"
        return "\(place)migration \(migration) (\(direction.rawValue)) failed: \(message)\(consequence)"
    }

    /// A shadow-failed finding for the same failure.
    public var diagnostic: Diagnostic {
        Diagnostic(
            code: .shadowFailed, location: location,
            message: "migration \(migration) (\(direction.rawValue)) failed in the shadow: \(message)",
            hint: "fix the statement at this line; the shadow is a throw-away database, nothing real was changed")
    }
}
