internal import CGit2

/// A walk over a range of commits (reachable from one, not from others) in libgit2's cheapest
/// order — no sorting, which would read every commit before returning the first: the one owner
/// of a `git_revwalk` handle.
final class GitRevisionWalk {
    let repository: GitRepository
    let handle: OpaquePointer

    /// Walks the commits reachable from `start` but not from any of `hidden`.
    init(from start: GitObjectID, hiding hidden: [GitObjectID], in repository: GitRepository) throws(GitError) {
        var walk: OpaquePointer?
        try GitError.check(git_revwalk_new(&walk, repository.handle), "start a history walk")
        self.repository = repository
        handle = walk!
        try GitError.check(git_revwalk_sorting(handle, GIT_SORT_NONE.rawValue), "set up a history walk")
        var oid = start.oid
        try GitError.check(git_revwalk_push(handle, &oid), "walk from commit \(start.short)")
        for id in hidden {
            var hiddenOID = id.oid
            try GitError.check(git_revwalk_hide(handle, &hiddenOID), "hide commit \(id.short) from a history walk")
        }
    }

    deinit {
        git_revwalk_free(handle)
    }

    /// The next commit id, or `nil` when the walk is over.
    func next() throws(GitError) -> GitObjectID? {
        var oid = git_oid()
        let result = git_revwalk_next(&oid, handle)
        if result == GIT_ITEROVER.rawValue { return nil }
        try GitError.check(result, "walk the history")
        return GitObjectID(oid)
    }
}
