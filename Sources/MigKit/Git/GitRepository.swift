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
