import Crypto
import Foundation

/// A small committed file, `.migrate/guard`, that turns two branches adding migrations into a
/// textual Git merge conflict — so the clash shows up at merge time even without CI.
///
/// It names the newest version and lists every migration with a *chained* digest: each line's
/// digest covers its migration and the digest of the line before. Two branches that each add
/// a migration therefore both change the `newest` line or the end of the chain (an insertion
/// in the middle changes every later line), and Git cannot merge both edits. The digest covers
/// identities (`version_name`), not contents: editing a new migration's SQL leaves it valid.
public struct MergeGuard: Sendable {
    /// The file's path relative to the project root.
    public static let relativePath = ".migrate/guard"

    public let project: Project

    public init(project: Project) {
        self.project = project
    }

    public var file: URL { project.root.appending(path: Self.relativePath) }

    /// The text the guard file should hold for the migrations whose files `source` holds.
    ///
    /// Read from file names, not parsed scripts, so a migration just created from an empty
    /// template already counts.
    public static func text(for source: some MigrationSource) throws -> String {
        var identities: [String: Version] = [:]
        for path in try source.filePaths() {
            guard let name = FileName(path: path), let version = name.version else { continue }
            identities["\(version.text)_\(name.name)"] = version
        }
        let ordered = identities.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        var lines = [
            "# mig merge-conflict guard: two branches that add migrations conflict here on merge.",
            "# Never edit by hand: `mig new` and `mig fix` rewrite it. After a conflict, run `mig fix`.",
            "newest \(ordered.last?.value.text ?? "none")",
        ]
        var digest = ""
        for (identifier, _) in ordered {
            let hash = SHA256.hash(data: Array((digest + "\n" + identifier).utf8))
            digest = hash.prefix(8).map { String(format: "%02x", $0) }.joined()
            lines.append("\(identifier) \(digest)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A `stale-guard` finding when the guard file exists and does not match the migrations in
    /// `source`; `nil` when it matches or the project has no guard file.
    public func staleness(of source: some MigrationSource) throws -> Diagnostic? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let current = try SourceText.normalize(data)
        let expected = try Self.text(for: source)
        guard current != expected else { return nil }
        let currentLines = current.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference = zip(currentLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(currentLines.count, expectedLines.count)
        let conflicted = current.contains("<<<<<<<") || current.contains(">>>>>>>")
        return Diagnostic(
            code: .staleGuard, location: SourceLocation(path: Self.relativePath, line: firstDifference + 1),
            message: conflicted
                ? "the merge-conflict guard has conflict markers: two branches added migrations"
                : "the merge-conflict guard does not match the migrations",
            hint: "run `mig fix` (it renumbers what needs it and rewrites the guard), then commit \(Self.relativePath)")
    }

    /// Writes the guard for the project's migration directory as it is on disk, without the files
    /// Git ignores there, as `mig check` and `mig fix` read it: a local, ignored file never makes
    /// the guard stale.
    public func write() throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(Self.text(for: listedSource).utf8).write(to: file, options: .atomic)
    }

    /// The migrations the guard lists: the directory without what Git ignores, or all of it
    /// outside a working tree.
    private var listedSource: any MigrationSource {
        guard let repository = try? GitRepository(discoveringFrom: project.root), !repository.isBare,
            let projectPath = repository.relativePath(of: project.root)
        else { return project.migrationSource }
        return WorkingTreeSource(
            files: project.migrationSource, repository: repository,
            repositoryPath: BranchContext.joined(projectPath, project.configuration.migrations.directory))
    }

    /// Whether `mig new` and `mig fix` should keep the file: turned on in config, or already there.
    public var isInUse: Bool {
        project.configuration.migrations.guardFile || FileManager.default.fileExists(atPath: file.path)
    }
}
