internal import CGit2

extension GitRepository {
    /// Whether the index or the working tree differs from `HEAD` anywhere below `directory` (relative
    /// to the repository root, `""` for all of it): a changed, staged, deleted or new file that
    /// `.gitignore` does not exclude. A submodule's own state does not count. Git compares the
    /// files' stat data with the index first, so an unchanged folder costs one `lstat` per file.
    public func hasUncommittedChanges(under directory: String) throws(GitError) -> Bool {
        var options = git_status_options()
        _ = try GitError.check(
            git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "prepare a status query")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        // A pattern without wildcards matches the folder and everything below it.
        var pattern = Array(Self.escapingWildcards(directory).utf8CString)
        try pattern.withUnsafeMutableBufferPointer { characters throws(GitError) in
            var patterns: [UnsafeMutablePointer<CChar>?] = [characters.baseAddress]
            try patterns.withUnsafeMutableBufferPointer { buffer throws(GitError) in
                options.pathspec = git_strarray(strings: buffer.baseAddress, count: directory.isEmpty ? 0 : 1)
                _ = try GitError.check(
                    git_status_list_new(&list, handle, &options), "compare the working tree with HEAD")
            }
        }
        defer { git_status_list_free(list) }
        return git_status_list_entrycount(list) > 0
    }

    private static func escapingWildcards(_ path: String) -> String {
        var escaped = ""
        for character in path {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
