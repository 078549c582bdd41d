/// A migration directory as it is in one commit, read from the object database without a
/// checkout, so `CatalogLoader` can parse any commit (base, merge base, history).
public final class GitTreeSource: MigrationSource {
    private let repository: GitRepository
    /// Blob id of every file below the directory, by path relative to it.
    private let blobs: [String: GitObjectID]
    private let displayPrefix: String

    /// The folder `directory` (relative to the repository root) in `commit`; an absent folder
    /// reads as empty.
    public init(
        repository: GitRepository, commit: GitObjectID, directory: String, displayPrefix: String
    ) throws(GitError) {
        self.repository = repository
        self.displayPrefix = displayPrefix
        var blobs: [String: GitObjectID] = [:]
        if let tree = try GitCommit(commit, in: repository).tree().subtree(atPath: directory) {
            try Self.collect(tree, prefix: "", into: &blobs)
        }
        self.blobs = blobs
    }

    private static func collect(_ tree: GitTree, prefix: String, into blobs: inout [String: GitObjectID]) throws(GitError) {
        for entry in tree.entries where !entry.name.hasPrefix(".") {
            let path = prefix + entry.name
            switch entry.kind {
            case .blob: blobs[path] = entry.id
            case .tree: try collect(GitTree(entry.id, in: tree.repository), prefix: path + "/", into: &blobs)
            case .other: continue
            }
        }
    }

    public func filePaths() throws -> [String] { blobs.keys.sorted() }

    public func contents(of path: String) throws -> [UInt8] {
        guard let id = blobs[path] else {
            throw CatalogError.unreadable(path: displayPath(of: path), reason: "not in this commit")
        }
        return try GitBlob(id, in: repository).bytes
    }

    public func displayPath(of path: String) -> String {
        displayPrefix.isEmpty || displayPrefix == "." ? path : displayPrefix + "/" + path
    }
}

/// The migration directory in the working tree, as head sees it: committed files, staged and
/// unstaged changes and new files not yet added, but not files `.gitignore` excludes.
public struct WorkingTreeSource: MigrationSource {
    private let files: DirectorySource
    private let repository: GitRepository
    /// The directory's path relative to the working tree's root.
    private let repositoryPath: String

    public init(files: DirectorySource, repository: GitRepository, repositoryPath: String) {
        self.files = files
        self.repository = repository
        self.repositoryPath = repositoryPath
    }

    public func filePaths() throws -> [String] {
        try files.filePaths().filter { path in
            !((try? repository.isIgnored(repositoryPath.isEmpty ? path : repositoryPath + "/" + path)) ?? false)
        }
    }

    public func contents(of path: String) throws -> [UInt8] { try files.contents(of: path) }

    public func displayPath(of path: String) -> String { files.displayPath(of: path) }

    public func problem(with path: String) -> String? { files.problem(with: path) }
}
