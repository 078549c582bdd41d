internal import CGit2

/// Any object that a revision expression names: the one owner of a `git_object` handle,
/// peeled to the commit that `mig` compares.
final class GitObject {
    let repository: GitRepository
    let handle: OpaquePointer

    /// Resolves `spec` the way git does: `main`, `origin/main`, a tag, a full or short id,
    /// `HEAD`, `HEAD~2`, `main^2`.
    init(resolving spec: String, in repository: GitRepository) throws(GitError) {
        var object: OpaquePointer?
        try GitError.check(git_revparse_single(&object, repository.handle, spec), "resolve `\(spec)`")
        self.repository = repository
        handle = object!
    }

    private init(handle: OpaquePointer, repository: GitRepository) {
        self.repository = repository
        self.handle = handle
    }

    deinit {
        git_object_free(handle)
    }

    /// The commit this object is or points at (an annotated tag is followed to its commit).
    func peeledToCommit(spec: String) throws(GitError) -> GitObjectID {
        var peeled: OpaquePointer?
        try GitError.check(git_object_peel(&peeled, handle, GIT_OBJECT_COMMIT), "`\(spec)` does not name a commit")
        let commit = GitObject(handle: peeled!, repository: repository)
        return GitObjectID(git_object_id(commit.handle))
    }
}
