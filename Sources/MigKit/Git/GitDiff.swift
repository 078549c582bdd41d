internal import CGit2

/// One changed file between two trees, with paths relative to the trees compared.
struct GitFileChange: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case added, modified, deleted, renamed
    }

    let kind: Kind
    /// The path before the change (`nil` for an added file).
    let oldPath: String?
    /// The path after the change (`nil` for a deleted file).
    let newPath: String?
    let oldID: GitObjectID?
    let newID: GitObjectID?
}

/// A tree-to-tree diff with rename detection: the one owner of a `git_diff` handle.
final class GitDiff {
    let repository: GitRepository
    let handle: OpaquePointer

    /// Compares two trees (`nil` is the empty tree) and pairs deletions with additions of
    /// similar content as renames, like `git diff -M`.
    init(from old: GitTree?, to new: GitTree?, in repository: GitRepository) throws(GitError) {
        var options = git_diff_options()
        try GitError.check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "set up a diff")
        var diff: OpaquePointer?
        try GitError.check(
            git_diff_tree_to_tree(&diff, repository.handle, old?.handle, new?.handle, &options), "compare two trees")
        self.repository = repository
        handle = diff!
        // A rename pairs a deletion with an addition: without a deletion there is nothing to pair.
        let deletes = (0..<git_diff_num_deltas(handle)).contains { git_diff_get_delta(handle, $0)!.pointee.status == GIT_DELTA_DELETED }
        guard deletes else { return }
        var find = git_diff_find_options()
        try GitError.check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)), "set up rename detection")
        find.flags = GIT_DIFF_FIND_RENAMES.rawValue
        try GitError.check(git_diff_find_similar(handle, &find), "detect renames")
    }

    deinit {
        git_diff_free(handle)
    }

    var changes: [GitFileChange] {
        (0..<git_diff_num_deltas(handle)).compactMap { index in
            let delta = git_diff_get_delta(handle, index)!.pointee
            let oldPath = String(cString: delta.old_file.path)
            let newPath = String(cString: delta.new_file.path)
            let oldID = delta.old_file.id
            let newID = delta.new_file.id
            switch delta.status {
            case GIT_DELTA_ADDED:
                return GitFileChange(kind: .added, oldPath: nil, newPath: newPath, oldID: nil, newID: GitObjectID(newID))
            case GIT_DELTA_DELETED:
                return GitFileChange(kind: .deleted, oldPath: oldPath, newPath: nil, oldID: GitObjectID(oldID), newID: nil)
            case GIT_DELTA_RENAMED:
                return GitFileChange(
                    kind: .renamed, oldPath: oldPath, newPath: newPath, oldID: GitObjectID(oldID), newID: GitObjectID(newID))
            case GIT_DELTA_MODIFIED, GIT_DELTA_TYPECHANGE:
                return GitFileChange(
                    kind: .modified, oldPath: oldPath, newPath: newPath, oldID: GitObjectID(oldID), newID: GitObjectID(newID))
            default:
                return nil
            }
        }
    }
}
