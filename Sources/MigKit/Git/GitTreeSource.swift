/// A migration directory as it is in one commit, read from the object database without a
/// checkout, so `CatalogLoader` can parse any commit (base, merge base, history).
public final class GitTreeSource: MigrationSource {
    private let repository: GitRepository
    /// The commit's whole tree, in which links are resolved.
    private let root: GitTree
    /// The directory's path relative to the repository root.
    private let directory: String
    /// Where its files are in the commit: `directory`, or the folder it links to.
    private let location: String
    /// Every entry below the directory, by path relative to it: a blob, a link to resolve, or a
    /// submodule (`other`), which is listed so that the loader reports it.
    private let entries: [String: GitTree.Entry]
    private let displayPrefix: String

    /// How many links in a row `contents(of:)` follows before it calls the chain a loop.
    private static let maximumLinkHops = 16

    /// The folder `directory` (relative to the repository root) in `commit`, or the folder inside
    /// the commit that a link there names, as a checkout would follow it; an absent folder reads
    /// as empty.
    public init(
        repository: GitRepository, commit: GitObjectID, directory: String, displayPrefix: String
    ) throws(GitError) {
        self.repository = repository
        self.displayPrefix = displayPrefix
        self.directory = directory == "." ? "" : directory
        root = try GitCommit(commit, in: repository).tree()
        var files: [String: GitTree.Entry] = [:]
        var attributes = false
        let found = try Self.folder(at: self.directory, in: root)
        if let (folder, _) = found { try Self.collect(folder, prefix: "", into: &files, attributes: &attributes) }
        self.entries = files
        location = found?.location ?? self.directory
        holdsFolder = found != nil && location == self.directory
        holdsAttributes = attributes
    }

    /// The folder at `path` in `root` and where it is: there, or at the end of the links a link
    /// there starts (inside the commit); `nil` when there is none.
    private static func folder(at path: String, in root: GitTree) throws(GitError) -> (GitTree, location: String)? {
        var location = path
        for _ in 0..<maximumLinkHops {
            if let tree = try root.subtree(atPath: location) { return (tree, location) }
            guard let entry = try root.entry(atPath: location), entry.kind == .link else { return nil }
            let target = String(decoding: try GitBlob(entry.id, in: root.repository).bytes, as: UTF8.self)
            guard let next = resolve(target, from: location) else { return nil }
            location = next
        }
        return nil
    }

    /// Whether a `.gitattributes` file stands below the directory.
    public let holdsAttributes: Bool

    /// Whether the commit has a folder (a tree, not a link to one or a submodule) at the directory's path.
    public let holdsFolder: Bool

    /// Every file's path relative to the repository root.
    public var repositoryPaths: [String] { entries.keys.map { directory.isEmpty ? $0 : directory + "/" + $0 } }

    private static func collect(
        _ tree: GitTree, prefix: String, into files: inout [String: GitTree.Entry], attributes: inout Bool
    ) throws(GitError) {
        for entry in tree.entries {
            guard !entry.name.hasPrefix(".") else {
                if entry.name == ".gitattributes" { attributes = true }
                continue
            }
            let path = prefix + entry.name
            switch entry.kind {
            case .blob, .link, .other: files[path] = entry
            case .tree:
                try collect(
                    GitTree(entry.id, in: tree.repository), prefix: path + "/", into: &files, attributes: &attributes)
            }
        }
    }

    public func files() throws -> [SourceFile] {
        entries.keys.sorted().map { SourceFile(path: $0, problem: problem(with: $0)) }
    }

    /// Whether any file is a symbolic link, whose target may lie outside the directory.
    public var holdsLinks: Bool { entries.values.contains { $0.kind == .link } }

    private func problem(with path: String) -> String? {
        guard let entry = entries[path] else { return nil }
        if !entry.nameIsUTF8 { return SourceFile.nameNotUTF8 }
        guard entry.kind == .other else { return nil }
        return "is a Git submodule (commit \(entry.id.short)): its files live in another repository, which mig does not read"
    }

    /// The file's bytes; a link is followed inside the commit, as a checkout would follow it, so a
    /// migration that links to a file elsewhere in the repository changes when that file does.
    public func contents(of path: String) throws -> [UInt8] {
        guard var entry = entries[path] else {
            throw CatalogError.unreadable(path: displayPath(of: path), reason: "not in this commit")
        }
        var location = self.location.isEmpty ? path : self.location + "/" + path
        for _ in 0..<Self.maximumLinkHops {
            guard entry.kind == .link else { return try GitBlob(entry.id, in: repository).bytes }
            let target = String(decoding: try GitBlob(entry.id, in: repository).bytes, as: UTF8.self)
            guard let resolved = Self.resolve(target, from: location), let next = try root.entry(atPath: resolved),
                next.kind == .blob || next.kind == .link
            else {
                throw CatalogError.unreadable(
                    path: displayPath(of: path), reason: "a link to \(target), which is no file in this commit")
            }
            (entry, location) = (next, resolved)
        }
        throw CatalogError.unreadable(path: displayPath(of: path), reason: "a chain of links that does not end")
    }

    /// The repository path `target` names when read by a link at `location`; `nil` when it leaves
    /// the repository (absolute, or too many `..`).
    static func resolve(_ target: String, from location: String) -> String? {
        guard !target.hasPrefix("/") else { return nil }
        var components = location.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default: components.append(String(component))
            }
        }
        return components.joined(separator: "/")
    }

    public func displayPath(of path: String) -> String {
        displayPrefix.isEmpty || displayPrefix == "." ? path : displayPrefix + "/" + path
    }
}

/// The migration directory in the working tree, as head sees it: committed files, staged and
/// unstaged changes and new files not yet added, but not files `.gitignore` excludes.
public struct WorkingTreeSource: MigrationSource {
    private let folder: DirectorySource
    private let repository: GitRepository
    /// The directory's path relative to the working tree's root.
    private let repositoryPath: String

    public init(files: DirectorySource, repository: GitRepository, repositoryPath: String) {
        self.folder = files
        self.repository = repository
        self.repositoryPath = repositoryPath
    }

    /// Git ignores untracked files only: a tracked file is in head even when `.gitignore` matches it,
    /// so only the files missing from the index are asked about (each question reads ignore files).
    public func files() throws -> [SourceFile] {
        let tracked = Set((try? repository.trackedPaths()) ?? [])
        return try folder.files().filter { file in
            let inRepository = repositoryPath.isEmpty ? file.path : repositoryPath + "/" + file.path
            return tracked.contains(inRepository) || !((try? repository.isIgnored(inRepository)) ?? false)
        }
    }

    public func contents(of path: String) throws -> [UInt8] { try folder.contents(of: path) }

    public func displayPath(of path: String) -> String { folder.displayPath(of: path) }

    public var readsConcurrently: Bool { folder.readsConcurrently }
}
