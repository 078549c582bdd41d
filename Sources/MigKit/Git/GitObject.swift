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

/// A commit, tree or blob looked up by id: the one owner of its handle. Commits, trees and blobs
/// are all `git_object`s, so one lookup and one free serve the three wrappers that read them.
/// Keeps its repository alive, since libgit2 objects must not outlive their repository.
final class GitObjectHandle {
    let repository: GitRepository
    let handle: OpaquePointer

    /// `action` says what failed in an error: "read commit", "read tree".
    init(_ id: GitObjectID, type: git_object_t, in repository: GitRepository, action: String) throws(GitError) {
        var object: OpaquePointer?
        var oid = id.oid
        try GitError.check(git_object_lookup(&object, repository.handle, &oid, type), "\(action) \(id.short)")
        self.repository = repository
        handle = object!
    }

    deinit {
        git_object_free(handle)
    }
}
