import Foundation
internal import CGit2

/// An open Git repository: the one owner of a `git_repository` handle.
///
/// Not `Sendable`: a libgit2 repository must not be used from two threads at once.
public final class GitRepository {
    let handle: OpaquePointer

    /// Opens the repository that contains `directory` (searching upwards, like git does),
    /// including linked worktrees.
    public init(discoveringFrom directory: URL) throws(GitError) {
        GitRuntime.ensureInitialized()
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try GitError.check(
            git_repository_discover(&buffer, directory.path, 0, nil),
            "find a Git repository at or above \(directory.path)")
        let path = String(cString: buffer.ptr)
        var repository: OpaquePointer?
        try GitError.check(git_repository_open(&repository, path), "open the Git repository at \(path)")
        handle = repository!
    }

    deinit {
        git_repository_free(handle)
    }

    /// The working tree's root, or `nil` for a bare repository.
    public var workingDirectory: URL? {
        git_repository_workdir(handle).map { URL(fileURLWithPath: String(cString: $0), isDirectory: true) }
    }

    public var isBare: Bool { git_repository_is_bare(handle) == 1 }

    /// Whether HEAD names a branch that has no commits yet.
    public var isHeadUnborn: Bool { git_repository_head_unborn(handle) == 1 }

    /// Whether the repository is a shallow clone.
    public var isShallow: Bool { git_repository_is_shallow(handle) == 1 }

    /// The short name of the branch HEAD is on (`main`), or `nil` when HEAD is detached.
    public func currentBranch() -> String? {
        var reference: OpaquePointer?
        if git_repository_head(&reference, handle) == 0, let reference {
            defer { git_reference_free(reference) }
            return git_reference_is_branch(reference) == 1 ? String(cString: git_reference_shorthand(reference)) : nil
        }
        // An unborn branch still has a name: read it from the symbolic HEAD.
        var head: OpaquePointer?
        guard git_reference_lookup(&head, handle, "HEAD") == 0, let head else { return nil }
        defer { git_reference_free(head) }
        guard let target = git_reference_symbolic_target(head) else { return nil }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : name
    }

    /// A string value from the repository's configuration (with global and system files), if set.
    public func configValue(_ name: String) -> String? {
        var config: OpaquePointer?
        guard git_repository_config_snapshot(&config, handle) == 0, let config else { return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, name) == 0, let value else { return nil }
        return String(cString: value)
    }
}

// MARK: - Reading history

extension GitRepository {
    /// The commit a revision expression names (`main`, `origin/main`, `v1.2`, `HEAD~2`, an id).
    public func commitID(resolving spec: String) throws(GitError) -> GitObjectID {
        try GitObject(resolving: spec, in: self).peeledToCommit(spec: spec)
    }

    /// Like `commitID(resolving:)`, but `nil` when nothing by that name exists.
    public func existingCommitID(resolving spec: String) throws(GitError) -> GitObjectID? {
        do {
            return try commitID(resolving: spec)
        } catch {
            if error.isNotFound || error.isInvalidSpec { return nil }
            throw error
        }
    }

    /// The best common ancestor of two commits, or `nil` when they share no history.
    public func mergeBase(_ one: GitObjectID, _ two: GitObjectID) throws(GitError) -> GitObjectID? {
        var result = git_oid()
        var first = one.oid
        var second = two.oid
        let code = git_merge_base(&result, handle, &first, &second)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try GitError.check(code, "find the merge base of \(one.short) and \(two.short)")
        return GitObjectID(result)
    }

    /// Author, time and summary of a commit.
    public func commitInfo(_ id: GitObjectID) throws(GitError) -> CommitInfo {
        try GitCommit(id, in: self).info
    }

    /// Whether `path` (relative to the working tree's root) is ignored by `.gitignore` rules.
    public func isIgnored(_ path: String) throws(GitError) -> Bool {
        var ignored: Int32 = 0
        try GitError.check(git_status_should_ignore(&ignored, handle, path), "check whether \(path) is ignored")
        return ignored == 1
    }

    /// The commits at which a shallow clone's history was cut (their parents are missing).
    public func shallowBoundary() -> Set<GitObjectID> {
        guard isShallow, let common = git_repository_commondir(handle) else { return [] }
        let file = URL(fileURLWithPath: String(cString: common)).appending(path: "shallow")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return Set(
            text.split(whereSeparator: \.isNewline).compactMap { line -> GitObjectID? in
                var oid = git_oid()
                return git_oid_fromstr(&oid, String(line)) == 0 ? GitObjectID(oid) : nil
            })
    }

    /// The path of `directory` relative to the working tree's root (`""` for the root itself),
    /// or `nil` when it lies outside the working tree.
    public func relativePath(of directory: URL) -> String? {
        guard let root = workingDirectory?.resolvingSymlinksInPath().standardizedFileURL.path else { return nil }
        let path = directory.resolvingSymlinksInPath().standardizedFileURL.path
        let rootPrefix = root.hasSuffix("/") ? root : root + "/"
        if path == root || path + "/" == rootPrefix { return "" }
        guard path.hasPrefix(rootPrefix) else { return nil }
        return String(path.dropFirst(rootPrefix.count))
    }
}
