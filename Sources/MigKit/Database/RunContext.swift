import Foundation

/// Who applies migrations and from which commit: what the history table records beside each row,
/// and where the migration directory is shown to people.
public struct RunContext: Sendable {
    /// Git's `user.name`, else `$USER` (or `$LOGNAME`, or the login name of the process's user).
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
            appliedBy: repository?.configValue("user.name") ?? environment["USER"] ?? environment["LOGNAME"]
                ?? loginName() ?? "unknown",
            gitCommit: repository?.headCommitID(),
            directoryPrefix: project.configuration.migrations.directory)
    }

    /// The name of the user the process runs as, from the password database.
    private static func loginName() -> String? {
        getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } }
    }

    /// A script's path as people see it: relative to the project root.
    public func displayPath(of path: String) -> String {
        Self.displayPath(of: path, under: directoryPrefix)
    }

    static func displayPath(of path: String, under prefix: String) -> String {
        prefix.isEmpty || prefix == "." ? path : prefix + "/" + path
    }
}
