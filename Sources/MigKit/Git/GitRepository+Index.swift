internal import CGit2

extension GitRepository {
    /// The path of every file in the index (committed or staged), relative to the working
    /// tree's root: what `mig init` searches, so build output and vendored copies that Git
    /// does not track are not taken for the project's migrations.
    public func trackedPaths() throws(GitError) -> [String] {
        var index: OpaquePointer?
        try GitError.check(git_repository_index(&index, handle), "read the Git index")
        defer { git_index_free(index) }
        return (0..<git_index_entrycount(index)).compactMap { position in
            git_index_get_byindex(index, position).map { String(cString: $0.pointee.path) }
        }
    }
}
