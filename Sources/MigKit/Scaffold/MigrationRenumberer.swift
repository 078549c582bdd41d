import Foundation

/// Gives the migrations a branch adds new versions after everything on its base (`mig fix`):
/// the *timestamps on branches, sequential order on main* workflow as one command.
///
/// Renumbers from the first added migration that needs it (its version is not after the
/// base's newest, is taken on the base, or is not in the configured scheme) onwards, keeping
/// the branch's own order; renames every file of each migration and never touches contents.
public struct MigrationRenumberer {
    /// One migration's new version and its files' moves (paths relative to the project root).
    public struct Rename: Sendable, Equatable, Codable {
        public let migration: String
        public let from: Version
        public let to: Version
        public let moves: [Move]
    }

    public struct Move: Sendable, Equatable, Codable {
        public let from: String
        public let to: String
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case targetExists(String)
        case cannotMove(from: String, to: String, reason: String)

        public var description: String {
            switch self {
            case .targetExists(let path): "\(path) already exists: mig fix never overwrites a file; move it away and run mig fix again"
            case .cannotMove(let from, let to, let reason): "cannot rename \(from) to \(to): \(reason)"
            }
        }
    }

    public let project: Project

    public init(project: Project) {
        self.project = project
    }

    /// What `mig fix` did (or, with a dry run, would do).
    public struct Outcome: Sendable, Codable {
        public let base: String
        public let renames: [Rename]
        /// Whether `.migrate/guard` was rewritten.
        public let guardUpdated: Bool
        public let dryRun: Bool
    }

    /// Compares head with `base` (as `mig check` does), renumbers what needs it and rewrites the
    /// merge-conflict guard when the project keeps one.
    public func run(base: String?, dryRun: Bool, now: Date = Date()) throws -> Outcome {
        let context = try BranchContext(project: project, base: base)
        let renames = try plan(try BranchCatalogs(context), now: now)
        let mergeGuard = MergeGuard(project: project)
        guard !dryRun else {
            return Outcome(base: context.baseName, renames: renames, guardUpdated: false, dryRun: true)
        }
        try apply(renames)
        var guardUpdated = false
        if mergeGuard.isInUse,
            try mergeGuard.staleness(of: context.workingSource) != nil
                || !FileManager.default.fileExists(atPath: mergeGuard.file.path)
        {
            try mergeGuard.write()
            guardUpdated = true
        }
        return Outcome(base: context.baseName, renames: renames, guardUpdated: guardUpdated, dryRun: false)
    }

    /// The renames that would put head's added migrations after the base's newest version.
    public func plan(_ catalogs: BranchCatalogs, now: Date = Date()) throws(VersionAllocator.Failure) -> [Rename] {
        let scheme = project.configuration.migrations.versioning
        let added = catalogs.added
        let baseVersions = Set(catalogs.base.migrations.map(\.version))
        let newest = catalogs.base.newestVersion
        guard let first = added.firstIndex(where: { migration in
            baseVersions.contains(migration.version) || newest.map { migration.version <= $0 } == true
                || migration.version.scheme != scheme
        }) else { return [] }
        let moving = Array(added[first...])
        let movingIDs = Set(moving.map(\.identifier))
        var taken = catalogs.base.migrations.map(\.version)
            + catalogs.head.migrations.filter { !movingIDs.contains($0.identifier) }.map(\.version)
        let allocator = VersionAllocator(scheme: scheme)
        return try moving.map { migration throws(VersionAllocator.Failure) in
            let version = catalogs.head.styled(try allocator.next(after: taken, now: now))
            taken.append(version)
            let moves = migration.files.map { path in
                Move(
                    from: displayPath(path),
                    to: displayPath(MigrationFiles.renamed(path, in: migration, to: version)))
            }
            return Rename(migration: migration.identifier, from: migration.version, to: version, moves: moves)
        }
    }

    /// Moves the files; refuses before moving anything if a target exists.
    public func apply(_ renames: [Rename]) throws(Failure) {
        let moves = renames.flatMap(\.moves)
        let sources = Set(moves.map(\.from))
        for move in moves where !sources.contains(move.to) && exists(move.to) {
            throw .targetExists(move.to)
        }
        for move in moves {
            let source = project.root.appending(path: move.from)
            let target = project.root.appending(path: move.to)
            do {
                try FileManager.default.createDirectory(
                    at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.moveItem(at: source, to: target)
                try removeIfEmpty(source.deletingLastPathComponent())
            } catch {
                throw .cannotMove(from: move.from, to: move.to, reason: error.localizedDescription)
            }
        }
    }

    private func displayPath(_ path: String) -> String {
        BranchContext.joined(project.configuration.migrations.directory, path)
    }

    private func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: project.root.appending(path: path).path)
    }

    /// A directory-layout migration's old folder is left empty by the moves: remove it.
    private func removeIfEmpty(_ folder: URL) throws {
        guard folder.standardizedFileURL.path != project.migrationDirectory.standardizedFileURL.path,
            let contents = try? FileManager.default.contentsOfDirectory(atPath: folder.path), contents.isEmpty
        else { return }
        try FileManager.default.removeItem(at: folder)
    }
}
