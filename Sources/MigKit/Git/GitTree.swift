internal import CGit2

/// A tree (a folder in some commit): its entries, and the entry at a path.
final class GitTree {
    /// What a tree entry points at.
    enum EntryKind {
        case tree
        case blob
        /// A symbolic link: a blob holding the link's target path.
        case link
        /// A submodule commit or anything else a migration directory cannot hold.
        case other
    }

    struct Entry {
        /// Invalid UTF-8 is repaired (U+FFFD); `nameIsUTF8` says whether it had to be.
        let name: String
        let kind: EntryKind
        let id: GitObjectID
        var nameIsUTF8 = true
    }

    private let object: GitObjectHandle
    var repository: GitRepository { object.repository }
    var handle: OpaquePointer { object.handle }

    init(_ id: GitObjectID, in repository: GitRepository) throws(GitError) {
        object = try GitObjectHandle(id, type: GIT_OBJECT_TREE, in: repository, action: "read tree")
    }

    var id: GitObjectID { GitObjectID(git_tree_id(handle)) }

    var entries: [Entry] {
        (0..<git_tree_entrycount(handle)).map { index in
            let entry = git_tree_entry_byindex(handle, index)!
            return Self.entry(entry)
        }
    }

    /// The entry at a `/`-separated path below this tree, or `nil` when nothing is there.
    func entry(atPath path: String) throws(GitError) -> Entry? {
        var found: OpaquePointer?
        let result = git_tree_entry_bypath(&found, handle, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(result, "look up \(path) in tree \(id.short)")
        defer { git_tree_entry_free(found) }
        return Self.entry(found!)
    }

    /// The folder at `path` as a tree, or `nil` when there is none (or a file stands there).
    func subtree(atPath path: String) throws(GitError) -> GitTree? {
        if path.isEmpty || path == "." { return self }
        guard let entry = try entry(atPath: path), entry.kind == .tree else { return nil }
        return try GitTree(entry.id, in: repository)
    }

    private static func entry(_ entry: OpaquePointer) -> Entry {
        let name = git_tree_entry_name(entry)!
        return Entry(
            name: String(cString: name), kind: kind(of: entry), id: GitObjectID(git_tree_entry_id(entry)),
            nameIsUTF8: String(validatingCString: name) != nil)
    }

    private static func kind(of entry: OpaquePointer) -> EntryKind {
        switch git_tree_entry_type(entry) {
        case GIT_OBJECT_TREE: .tree
        case GIT_OBJECT_BLOB: git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK ? .link : .blob
        default: .other
        }
    }
}

/// A file's contents in the object database.
final class GitBlob {
    private let object: GitObjectHandle
    var repository: GitRepository { object.repository }
    var handle: OpaquePointer { object.handle }

    init(_ id: GitObjectID, in repository: GitRepository) throws(GitError) {
        object = try GitObjectHandle(id, type: GIT_OBJECT_BLOB, in: repository, action: "read file contents")
    }

    var bytes: [UInt8] {
        let size = Int(git_blob_rawsize(handle))
        guard size > 0, let raw = git_blob_rawcontent(handle) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }
}
