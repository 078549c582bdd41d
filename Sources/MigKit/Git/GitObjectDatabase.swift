internal import CGit2

/// A repository's object database: the one owner of a `git_odb` handle, for reading objects'
/// raw bytes where libgit2's parsed objects would cost more than the walk needs.
final class GitObjectDatabase {
    let repository: GitRepository
    let handle: OpaquePointer

    init(of repository: GitRepository) throws(GitError) {
        var odb: OpaquePointer?
        try GitError.check(git_repository_odb(&odb, repository.handle), "open the object database")
        self.repository = repository
        handle = odb!
    }

    deinit {
        git_odb_free(handle)
    }

    func read(_ id: GitObjectID) throws(GitError) -> GitRawObject {
        try GitRawObject(id, in: self)
    }
}

/// One object's raw bytes: the one owner of a `git_odb_object` handle.
///
/// A history walk needs only a commit's tree and parents, and one entry of a few small trees;
/// reading those from the raw bytes skips parsing authors, messages and whole trees for each
/// of possibly hundreds of thousands of commits.
final class GitRawObject {
    let database: GitObjectDatabase
    let handle: OpaquePointer
    let id: GitObjectID

    init(_ id: GitObjectID, in database: GitObjectDatabase) throws(GitError) {
        var object: OpaquePointer?
        var oid = id.oid
        try GitError.check(git_odb_read(&object, database.handle, &oid), "read object \(id.short)")
        self.database = database
        self.id = id
        handle = object!
    }

    deinit {
        git_odb_object_free(handle)
    }

    /// The object's bytes, valid while this object lives.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: git_odb_object_data(handle), count: git_odb_object_size(handle))
    }

    /// A commit's tree and parents, read from its header (`tree <hex>`, then `parent <hex>` lines).
    func commitHeader() throws(GitError) -> (tree: GitObjectID, parents: [GitObjectID]) {
        guard git_odb_object_type(handle) == GIT_OBJECT_COMMIT else { throw malformed("is not a commit") }
        let bytes = self.bytes
        guard let tree = Self.headerID(in: bytes, at: 0, keyword: "tree ") else { throw malformed("has no tree line") }
        var parents: [GitObjectID] = []
        var offset = "tree ".utf8.count + 41
        while let parent = Self.headerID(in: bytes, at: offset, keyword: "parent ") {
            parents.append(parent)
            offset += "parent ".utf8.count + 41
        }
        return (tree, parents)
    }

    /// The id of the entry `name` in a tree and whether it is a folder; `nil` when there is none.
    func treeEntry(named name: String) throws(GitError) -> (id: GitObjectID, isTree: Bool)? {
        guard git_odb_object_type(handle) == GIT_OBJECT_TREE else { throw malformed("is not a tree") }
        let bytes = self.bytes
        let wanted = Array(name.utf8)
        var offset = 0
        // Each entry is `mode name\0` followed by the 20-byte id.
        while offset < bytes.count {
            guard let space = bytes[offset...].firstIndex(of: UInt8(ascii: " ")),
                let nul = bytes[space...].firstIndex(of: 0), nul + 21 <= bytes.count
            else { throw malformed("has a damaged entry") }
            if bytes[(space + 1)..<nul].elementsEqual(wanted) {
                var oid = git_oid()
                withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[(nul + 1)..<(nul + 21)])) }
                // The mode in octal digits: Git writes a folder's as 40000, and some old tools wrote
                // 040000 (`git fsck`'s zeroPaddedFilemode), which Git and libgit2 read alike.
                let mode = bytes[offset..<space].reduce(0) { $0 &* 8 &+ (Int($1) &- 48) }
                return (GitObjectID(oid), mode & 0o170000 == 0o040000)
            }
            offset = nul + 21
        }
        return nil
    }

    /// The id after `keyword` on the header line at `offset`, if that line starts with it.
    private static func headerID(in bytes: UnsafeRawBufferPointer, at offset: Int, keyword: String) -> GitObjectID? {
        let key = Array(keyword.utf8)
        let end = offset + key.count + 40
        guard end < bytes.count, bytes[offset..<(offset + key.count)].elementsEqual(key) else { return nil }
        var oid = git_oid()
        let parsed = bytes.baseAddress!.advanced(by: offset + key.count).withMemoryRebound(to: CChar.self, capacity: 40) {
            git_oid_fromstrn(&oid, $0, 40)
        }
        return parsed == 0 ? GitObjectID(oid) : nil
    }

    private func malformed(_ problem: String) -> GitError {
        GitError(
            code: GIT_EINVALID.rawValue, errorClass: Int32(GIT_ERROR_OBJECT.rawValue), operation: "read object \(id.short)",
            message: "the object \(problem)")
    }
}
