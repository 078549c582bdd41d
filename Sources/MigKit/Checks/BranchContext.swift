import Foundation

/// Why `mig check`, `mig fix` or `mig history` cannot compare branches here, each with what to do.
public enum BranchSetupError: Error, Sendable, CustomStringConvertible {
    case notARepository(String)
    case bareRepository(String)
    case outsideWorkingTree(String)
    case unbornHead(branch: String?)
    case refNotFound(String)
    case baseNotFound(String, shallow: Bool)
    case noDefaultBase
    case noCommonHistory(base: String)
    case shallowBeforeMergeBase(base: String)

    public var description: String {
        switch self {
        case .notARepository(let path):
            return "\(path) is not inside a Git repository: run mig inside a clone (or `mig -C DIR`), or run `git init`"
        case .bareRepository(let path):
            return "\(path) is a bare repository, which has no working tree to check: run mig in a clone with a checkout"
        case .outsideWorkingTree(let path):
            return "\(path) is outside the repository's working tree: run mig inside the working tree"
        case .unbornHead(let branch):
            return "no commits yet on \(branch.map { "branch \($0)" } ?? "HEAD"): commit your migrations first "
                + "(`git add` and `git commit`), then run mig again"
        case .refNotFound(let spec):
            return "`\(spec)` names no commit in this repository: give a branch, tag or commit id (`git branch -a` lists them)"
        case .baseNotFound(let spec, let shallow):
            return "the base `\(spec)` is not in this repository: fetch it (`git fetch origin \(spec)`), or name "
                + "another with --base or [git] base in .migrate/config.toml"
                + (shallow ? "; this is a shallow clone: fetch with full depth (`git fetch --unshallow`)" : "")
        case .noDefaultBase:
            return "found none of origin/HEAD, main or master to compare with: pass --base REF, or set "
                + "[git] base in .migrate/config.toml"
        case .noCommonHistory(let base):
            return "HEAD and `\(base)` share no history, so there is nothing to compare from: pick another --base"
        case .shallowBeforeMergeBase(let base):
            return "this is a shallow clone whose history stops before the merge base of HEAD and `\(base)`: "
                + "fetch with full depth (`git fetch --unshallow`, or actions/checkout with `fetch-depth: 0`)"
        }
    }
}

/// The repository and commits a branch comparison reads: head (the working tree on top of
/// `HEAD`), the base, and their merge base — resolved once, with every set-up problem turned
/// into a `BranchSetupError` that says how to fix it.
public final class BranchContext {
    public let project: Project
    public let repository: GitRepository
    /// The base as named (`main`, `origin/main`, ...).
    public let baseName: String
    public let head: GitObjectID
    public let base: GitObjectID
    public let mergeBase: GitObjectID
    /// The migration directory relative to the repository root.
    public let directoryInRepository: String
    /// The project root relative to the repository root (`""` when they are the same), which
    /// prefixes paths in annotations that code hosts resolve from the repository root.
    public let projectPathInRepository: String

    public init(project: Project, base requestedBase: String?) throws {
        let repository = try Self.openRepository(at: project.root)
        self.project = project
        self.repository = repository
        guard let projectPath = repository.relativePath(of: project.root) else {
            throw BranchSetupError.outsideWorkingTree(project.root.path)
        }
        projectPathInRepository = projectPath
        directoryInRepository = Self.joined(projectPath, project.configuration.migrations.directory)
        head = try repository.commitID(resolving: "HEAD")
        let shallow = repository.isShallow
        (baseName, base) = try Self.resolveBase(
            requestedBase ?? project.configuration.git.base, in: repository, shallow: shallow)
        guard let mergeBase = try Self.mergeBase(of: head, base, named: baseName, in: repository, shallow: shallow) else {
            throw shallow ? BranchSetupError.shallowBeforeMergeBase(base: baseName) : .noCommonHistory(base: baseName)
        }
        if repository.shallowBoundary().contains(mergeBase) {
            throw BranchSetupError.shallowBeforeMergeBase(base: baseName)
        }
        self.mergeBase = mergeBase
    }

    /// Opens the repository around `root`, refusing what has no history or no working tree to check.
    static func openRepository(at root: URL) throws -> GitRepository {
        let repository: GitRepository
        do {
            repository = try GitRepository(discoveringFrom: root)
        } catch {
            throw error.isNotFound ? BranchSetupError.notARepository(root.path) : error
        }
        if repository.isBare { throw BranchSetupError.bareRepository(root.path) }
        if repository.isHeadUnborn { throw BranchSetupError.unbornHead(branch: repository.currentBranch()) }
        return repository
    }

    /// The merge base, or `nil` when there is none; in a shallow clone, a walk that hits a
    /// missing parent is the clone's shortness, said so.
    private static func mergeBase(
        of head: GitObjectID, _ base: GitObjectID, named baseName: String, in repository: GitRepository, shallow: Bool
    ) throws -> GitObjectID? {
        do {
            return try repository.mergeBase(head, base)
        } catch {
            // libgit2 1.5 does not read the shallow file: it fails on the parents a shallow clone left out.
            if shallow { throw BranchSetupError.shallowBeforeMergeBase(base: baseName) }
            throw error
        }
    }

    private static func resolveBase(
        _ requested: String?, in repository: GitRepository, shallow: Bool
    ) throws -> (String, GitObjectID) {
        let candidates = requested.map { [$0] } ?? ["origin/HEAD", "main", "master"]
        for name in candidates {
            if let commit = try repository.existingCommitID(resolving: name) { return (name, commit) }
        }
        if let requested { throw BranchSetupError.baseNotFound(requested, shallow: shallow) }
        throw BranchSetupError.noDefaultBase
    }

    static func joined(_ prefix: String, _ path: String) -> String {
        let parts = (prefix.split(separator: "/") + path.split(separator: "/")).filter { $0 != "." }
        return parts.joined(separator: "/")
    }

    // MARK: - Catalogs

    private var loader: CatalogLoader { project.catalogLoader }

    /// Catalogs already read, by commit, with the tree they were read from.
    private var committedCatalogs: [GitObjectID: (catalog: Catalog, source: GitTreeSource)] = [:]

    /// The catalog of the migration directory as committed in `commit` (read once per commit).
    public func catalog(at commit: GitObjectID) throws -> Catalog { try committed(at: commit).catalog }

    private func committed(at commit: GitObjectID) throws -> (catalog: Catalog, source: GitTreeSource) {
        if let known = committedCatalogs[commit] { return known }
        let source = try GitTreeSource(
            repository: repository, commit: commit, directory: directoryInRepository,
            displayPrefix: project.configuration.migrations.directory)
        let read = (catalog: try loader.load(from: source), source: source)
        committedCatalogs[commit] = read
        return read
    }

    /// The catalog of the working tree: what head will hold once everything is committed. When the
    /// folder's files are HEAD's blobs byte for byte (`GitRepository.workingTreeMatchesHead`), that
    /// is `HEAD`'s own catalog, read from Git and shared with the comparisons that need it — unless
    /// HEAD has no folder there (a link to one, a submodule, another spelling) or a file is a link,
    /// whose target may lie outside the folder and have changed.
    public func workingCatalog() throws -> Catalog {
        guard FileManager.default.fileExists(atPath: project.migrationDirectory.path) else {
            throw CatalogError.missingDirectory(project.configuration.migrations.directory)
        }
        let committedHead = try committed(at: head)
        if committedHead.source.holdsFolder, !committedHead.source.holdsLinks,
            (try? repository.workingTreeMatchesHead(
                under: directoryInRepository, paths: committedHead.source.repositoryPaths,
                holdsAttributes: committedHead.source.holdsAttributes)) == true
        {
            return committedHead.catalog
        }
        return try loader.load(from: workingSource)
    }

    /// The migration directory in the working tree, without ignored files.
    public var workingSource: WorkingTreeSource {
        WorkingTreeSource(files: project.migrationSource, repository: repository, repositoryPath: directoryInRepository)
    }

    /// A reader of this repository's migration history.
    public func historyReader() -> MigrationHistoryReader {
        MigrationHistoryReader(repository: repository, directory: directoryInRepository)
    }
}
