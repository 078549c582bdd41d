/// What happened to one file of the migration directory in one commit.
public struct FileEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case added, modified, deleted, renamed
    }

    public let kind: Kind
    /// The file's path (relative to the migration directory) after the change; before it for a deletion.
    public let path: String
    /// For a rename: the path before.
    public let oldPath: String?
    public let commit: CommitInfo
}

/// The life of every migration that a ref's history touched: who added it and when, later
/// edits, deletions and renames, and when it reached the ref's own line of history.
///
/// Built from `FileEvent`s by `MigrationHistoryReader`; `mig history` prints it and `mig check`
/// reads it to name the commits and authors behind a finding.
public struct MigrationHistory: Sendable, Codable {
    /// One migration (`version_name`) over time.
    public struct Record: Sendable, Codable {
        public let version: Version
        public let name: String
        /// The commit that first added one of its files (or renamed a file to it).
        public internal(set) var added: CommitInfo?
        /// Later commits that changed, added or removed one of its files.
        public internal(set) var modified: [CommitInfo] = []
        /// The commit that removed its last file, when it is gone.
        public internal(set) var deleted: CommitInfo?
        /// Each time it was deleted and later added again, oldest first.
        public internal(set) var removals: [Removal] = []
        /// The migration it was renamed from, or to.
        public internal(set) var renamedFrom: String?
        public internal(set) var renamedTo: String?
        /// Its files now, relative to the migration directory; empty when deleted.
        public internal(set) var files: [String] = []
        /// The commit on the ref's first-parent line at which it arrived (for a branch: its merge).
        public internal(set) var reached: CommitInfo?
        /// A higher version that had already reached the ref when this one did: every database
        /// deployed in between applied this migration out of order.
        public internal(set) var reachedAfter: String?

        public var identifier: String { "\(version.text)_\(name)" }
    }

    /// A deletion of a migration that a later commit undid by adding it again.
    public struct Removal: Sendable, Codable {
        public let deleted: CommitInfo
        public let restored: CommitInfo
    }

    /// Sorted by version, then name.
    public internal(set) var records: [Record]

    /// The record of a migration by `version_name`.
    public func record(_ identifier: String) -> Record? {
        records.first { $0.identifier == identifier }
    }

    /// Folds events (oldest first) into one record per migration.
    init(events: [FileEvent]) {
        var byIdentifier: [String: Record] = [:]
        func identity(_ path: String) -> (String, Version, String)? {
            guard let name = FileName(path: path), let version = name.version else { return nil }
            return ("\(version.text)_\(name.name)", version, name.name)
        }
        func update(_ path: String, _ change: (inout Record) -> Void) {
            guard let (identifier, version, name) = identity(path) else { return }
            var record = byIdentifier[identifier] ?? Record(version: version, name: name)
            change(&record)
            byIdentifier[identifier] = record
        }
        func touch(_ record: inout Record, _ commit: CommitInfo) {
            if record.added == nil {
                record.added = commit
            } else if record.added?.id != commit.id, record.modified.last?.id != commit.id {
                record.modified.append(commit)
            }
        }
        for event in events {
            switch event.kind {
            case .added, .modified:
                update(event.path) { record in
                    if record.files.isEmpty, let deleted = record.deleted {
                        record.removals.append(Removal(deleted: deleted, restored: event.commit))
                        record.deleted = nil
                        record.modified.append(event.commit)
                    } else {
                        touch(&record, event.commit)
                    }
                    if !record.files.contains(event.path) { record.files.append(event.path) }
                }
            case .deleted:
                update(event.path) { record in
                    record.files.removeAll { $0 == event.path }
                    if record.files.isEmpty { record.deleted = event.commit } else { touch(&record, event.commit) }
                }
            case .renamed:
                let old = event.oldPath.flatMap(identity)?.0
                let new = identity(event.path)?.0
                update(event.oldPath ?? "") { record in
                    record.files.removeAll { $0 == event.oldPath }
                    if old != new, record.files.isEmpty {
                        record.deleted = event.commit
                        record.renamedTo = new
                    }
                }
                update(event.path) { record in
                    touch(&record, event.commit)
                    if old != new, record.renamedFrom == nil, record.added?.id == event.commit.id { record.renamedFrom = old }
                    if !record.files.contains(event.path) { record.files.append(event.path) }
                }
            }
        }
        records = byIdentifier.values.sorted { ($0.version, $0.name) < ($1.version, $1.name) }
    }
}

/// Why a history could not be read to the end.
public enum HistoryError: Error, Sendable, CustomStringConvertible {
    /// The walk reached a commit whose parents a shallow clone left out.
    case shallow

    public var description: String {
        switch self {
        case .shallow:
            "the history stops early because this is a shallow clone: fetch the full history "
                + "with `git fetch --unshallow` (in GitHub Actions: actions/checkout with `fetch-depth: 0`)"
        }
    }
}

/// Walks a ref's history and reports the changes to the migration directory.
///
/// Only what is needed is read: each commit once, from its raw header (tree and parents), with
/// the few small trees on the way to the migration directory; then, parents first, the
/// directory's tree id is compared with the parents' and only where it changed are the two
/// trees diffed (with rename detection). A merge is charged only with
/// changes that differ from every parent (a conflict resolution), since the rest came in with
/// the merged commits.
public final class MigrationHistoryReader {
    private let repository: GitRepository
    /// The migration directory relative to the repository root (`""` for the root).
    private let directory: String
    private let shallowBoundary: Set<GitObjectID>
    /// What the walk keeps of a commit: the migration directory's tree id (`nil` when absent)
    /// and the parents.
    private struct Node {
        let tree: GitObjectID?
        let parents: [GitObjectID]
    }

    /// Every commit read so far; each is parsed once.
    private var nodes: [GitObjectID: Node] = [:]
    /// Changes against the first parent, for the commits where they were computed.
    private var firstParentChanges: [GitObjectID: [GitFileChange]] = [:]
    private var infos: [GitObjectID: CommitInfo] = [:]

    public init(repository: GitRepository, directory: String) {
        self.repository = repository
        self.directory = directory
        self.shallowBoundary = repository.shallowBoundary()
    }

    /// The reader for a project's migration directory, in the repository around its root.
    public convenience init(project: Project) throws {
        let repository = try BranchContext.openRepository(at: project.root)
        guard let projectPath = repository.relativePath(of: project.root) else {
            throw BranchSetupError.outsideWorkingTree(project.root.path)
        }
        self.init(
            repository: repository,
            directory: BranchContext.joined(projectPath, project.configuration.migrations.directory))
    }

    /// The history of the migrations reachable from the commit `spec` names (`HEAD`, `main`, a tag,
    /// an id), from `cache` when it has it (and stored there when it did not).
    public func history(
        of spec: String, cache: HistoryCache? = nil
    ) throws -> (commit: GitObjectID, history: MigrationHistory) {
        guard let commit = try repository.existingCommitID(resolving: spec) else {
            throw BranchSetupError.refNotFound(spec)
        }
        if let cached = cache?.history(at: commit, directory: directory) { return (commit, cached) }
        let history = try history(of: commit)
        cache?.store(history, at: commit, directory: directory)
        return (commit, history)
    }

    /// The migration directory as committed in `commit`, read with `loader` (its findings name
    /// the files a history cannot account for).
    public func catalog(at commit: GitObjectID, loader: CatalogLoader, displayPrefix: String) throws -> Catalog {
        try loader.load(
            from: GitTreeSource(repository: repository, commit: commit, directory: directory, displayPrefix: displayPrefix))
    }

    /// Every change to the migration directory in commits reachable from `start` and not from
    /// any of `hidden`, oldest first.
    public func events(from start: GitObjectID, hiding hidden: [GitObjectID] = []) throws -> [FileEvent] {
        do {
            return try walkEvents(from: start, hiding: hidden)
        } catch let error as GitError {
            // libgit2 1.5 does not read the shallow file: it fails on the parents a shallow clone left out.
            if error.isNotFound, repository.isShallow { throw HistoryError.shallow }
            throw error
        }
    }

    private func walkEvents(from start: GitObjectID, hiding hidden: [GitObjectID]) throws -> [FileEvent] {
        // Read every commit once, in the cheapest order; compare with parents afterwards, in
        // topological order, when every parent's directory tree is known.
        let walked = hidden.isEmpty ? try reachableCommits(from: start) : try rangeCommits(from: start, hiding: hidden)
        var events: [FileEvent] = []
        for id in topologicalOrder(walked) {
            let node = try node(id)
            let parentTrees = try node.parents.map { parent throws -> GitObjectID? in try self.node(parent).tree }
            if !parentTrees.isEmpty, parentTrees.contains(where: { $0 == node.tree }) { continue }
            let changes = try changesCharged(tree: node.tree, parentTrees: parentTrees, commit: id)
            guard !changes.isEmpty else { continue }
            let info = try info(id)
            events += changes.map { change in
                FileEvent(
                    kind: Self.kind(change.kind), path: change.newPath ?? change.oldPath!,
                    oldPath: change.kind == .renamed ? change.oldPath : nil, commit: info)
            }
        }
        return events
    }

    /// Every commit reachable from `start`, each read once: following parents from the commits'
    /// own headers needs no second read, as libgit2's walk would make.
    private func reachableCommits(from start: GitObjectID) throws -> [GitObjectID] {
        var walked: [GitObjectID] = []
        var visited: Set<GitObjectID> = [start]
        var pending = [start]
        while let id = pending.popLast() {
            if shallowBoundary.contains(id) { throw HistoryError.shallow }
            walked.append(id)
            for parent in try node(id).parents where visited.insert(parent).inserted { pending.append(parent) }
        }
        return walked
    }

    /// The commits reachable from `start` but not from `hidden`, by libgit2's walk, which stops
    /// early at the hidden side instead of reading its whole history.
    private func rangeCommits(from start: GitObjectID, hiding hidden: [GitObjectID]) throws -> [GitObjectID] {
        let walk = try GitRevisionWalk(from: start, hiding: hidden, in: repository)
        var walked: [GitObjectID] = []
        while let id = try walk.next() {
            if shallowBoundary.contains(id) { throw HistoryError.shallow }
            _ = try node(id)
            walked.append(id)
        }
        return walked
    }

    /// `commits` ordered parents first (a depth-first post-order over the parents among them).
    private func topologicalOrder(_ commits: [GitObjectID]) -> [GitObjectID] {
        let members = Set(commits)
        var visited = Set<GitObjectID>(minimumCapacity: commits.count)
        var order: [GitObjectID] = []
        order.reserveCapacity(commits.count)
        for root in commits where visited.insert(root).inserted {
            var stack: [(id: GitObjectID, next: Int)] = [(root, 0)]
            while let (id, next) = stack.last {
                let parents = nodes[id]!.parents
                if next < parents.count {
                    stack[stack.count - 1].next += 1
                    let parent = parents[next]
                    if members.contains(parent), visited.insert(parent).inserted { stack.append((parent, 0)) }
                } else {
                    stack.removeLast()
                    order.append(id)
                }
            }
        }
        return order
    }

    /// The full history of the migrations reachable from `ref`, with arrival on its first-parent line.
    public func history(of ref: GitObjectID) throws -> MigrationHistory {
        var history = MigrationHistory(events: try events(from: ref))
        var index: [String: Int] = [:]
        for (position, record) in history.records.enumerated() { index[record.identifier] = position }
        var line: [GitObjectID] = []
        var cursor: GitObjectID? = ref
        while let id = cursor {
            line.append(id)
            cursor = nodes[id]?.parents.first
        }
        var present = PresentVersions()
        for id in line.reversed() {
            let node = try node(id)
            let parentTree = try node.parents.first.map { parent throws -> GitObjectID? in try self.node(parent).tree } ?? nil
            let tree = node.tree
            guard tree != parentTree else { continue }
            let changes = try firstParentChanges[id] ?? diff(parentTree, tree)
            // A migration deleted or renamed away (`goose fix`, a corrected timestamp) is no longer a
            // higher version that later arrivals come after.
            for change in changes where change.kind == .deleted || change.kind == .renamed {
                if let path = change.oldPath, let version = FileName(path: path)?.version { present.remove(version) }
            }
            // Migrations that arrive together are compared with what was there before, not with each other.
            let before = present.newest
            for change in changes where change.kind == .added || change.kind == .renamed {
                guard let path = change.newPath, let name = FileName(path: path), let version = name.version else {
                    continue
                }
                present.add(version, identifier: "\(version.text)_\(name.name)")
                guard let position = index["\(version.text)_\(name.name)"], history.records[position].reached == nil
                else { continue }
                history.records[position].reached = try info(id)
                if let before, version < before.version {
                    history.records[position].reachedAfter = before.identifier
                }
            }
        }
        return history
    }

    /// The versions whose files are on a line at a commit, with the newest: what a migration that
    /// arrives there is compared with. Counted per file, as an up and a down file share a version.
    private struct PresentVersions {
        private var files: [Version: (count: Int, identifier: String)] = [:]
        private(set) var newest: (version: Version, identifier: String)?

        mutating func add(_ version: Version, identifier: String) {
            files[version, default: (0, identifier)].count += 1
            if newest == nil || version > newest!.version { newest = (version, identifier) }
        }

        mutating func remove(_ version: Version) {
            guard let entry = files[version] else { return }
            if entry.count > 1 {
                files[version]!.count -= 1
                return
            }
            files[version] = nil
            guard newest?.version == version else { return }
            newest = files.max { $0.key < $1.key }.map { ($0.key, $0.value.identifier) }
        }
    }

    // MARK: - Trees and diffs

    private func changesCharged(tree: GitObjectID?, parentTrees: [GitObjectID?], commit: GitObjectID) throws -> [GitFileChange] {
        guard let firstTree = parentTrees.first else { return try diff(nil, tree) }
        let first = try diff(firstTree, tree)
        firstParentChanges[commit] = first
        guard parentTrees.count > 1 else { return first }
        // A change came in with another parent when that parent already has the merge's version
        // of the file (or, for a deletion, already lacks it): look the path up rather than diff again.
        let others = try parentTrees.dropFirst().map { parent throws(GitError) -> GitTree? in
            try parent.map { id throws(GitError) in try self.tree(id) }
        }
        return try first.filter { change in
            let path = change.newPath ?? change.oldPath!
            return try others.allSatisfy { other in
                let entry = try other?.entry(atPath: path)
                return change.newID.map { entry?.id != $0 } ?? (entry != nil)
            }
        }
    }

    private func diff(_ old: GitObjectID?, _ new: GitObjectID?) throws(GitError) -> [GitFileChange] {
        let oldTree = try old.map { id throws(GitError) in try tree(id) }
        let newTree = try new.map { id throws(GitError) in try tree(id) }
        return try GitDiff(from: oldTree, to: newTree, in: repository).changes
    }

    /// The migration directory's tree with this id. In topological order each commit's tree is
    /// the next commit's parent tree, so the last few are kept: a folder of thousands of
    /// migrations is a large tree to inflate and parse, and libgit2 does not cache large trees.
    private func tree(_ id: GitObjectID) throws(GitError) -> GitTree {
        if let index = recentTrees.firstIndex(where: { $0.id == id }) { return recentTrees[index].tree }
        let tree = try GitTree(id, in: repository)
        if recentTrees.count == Self.recentTreeLimit { recentTrees.removeFirst() }
        recentTrees.append((id, tree))
        return tree
    }

    private static let recentTreeLimit = 8
    private var recentTrees: [(id: GitObjectID, tree: GitTree)] = []

    /// The commit's node, reading the commit the first time it is asked for.
    private func node(_ id: GitObjectID) throws(GitError) -> Node {
        if let known = nodes[id] { return known }
        let database = try objectDatabase()
        let header = try database.read(id).commitHeader()
        var tree: GitObjectID? = header.tree
        for name in pathComponents {
            guard let folder = tree, let entry = try database.read(folder).treeEntry(named: name), entry.isTree else {
                tree = nil
                break
            }
            tree = entry.id
        }
        let node = Node(tree: tree, parents: header.parents)
        nodes[id] = node
        return node
    }

    private lazy var pathComponents = directory.split(separator: "/").map(String.init)

    private func objectDatabase() throws(GitError) -> GitObjectDatabase {
        if let database { return database }
        let opened = try GitObjectDatabase(of: repository)
        database = opened
        return opened
    }

    private var database: GitObjectDatabase?

    private func info(_ id: GitObjectID) throws(GitError) -> CommitInfo {
        if let known = infos[id] { return known }
        let info = try repository.commitInfo(id)
        infos[id] = info
        return info
    }

    private static func kind(_ kind: GitFileChange.Kind) -> FileEvent.Kind {
        switch kind {
        case .added: .added
        case .modified: .modified
        case .deleted: .deleted
        case .renamed: .renamed
        }
    }
}
