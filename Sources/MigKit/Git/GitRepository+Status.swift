import Foundation
internal import CGit2

extension GitRepository {
    /// Whether the working tree's files below `directory` (relative to the repository root, `""` for
    /// all of it) are HEAD's blobs byte for byte, as far as Git can tell without reading them: Git
    /// sees no change there (its stat data match the index, the index matches HEAD, no new file that
    /// `.gitignore` does not exclude), no file there is hidden from Git by skip-worktree or
    /// assume-unchanged, and no filter (LFS, `ident`, line-ending conversion, a custom smudge) turns
    /// a blob of `paths` (HEAD's files there, relative to the repository root) into other bytes on
    /// checkout. When any of that cannot be told, the answer is no.
    /// `holdsAttributes`: whether HEAD has a `.gitattributes` file below the folder.
    public func workingTreeMatchesHead(
        under directory: String, paths: [String], holdsAttributes: Bool
    ) throws(GitError) -> Bool {
        // A name Git would read as a pattern cannot be matched as a folder: say it may differ.
        guard !directory.contains(where: { "*?[]\\!".contains($0) }), directory.trimmingWhitespace() == directory
        else { return false }
        if try hasStatusEntries(under: directory) { return false }
        if try hidesFiles(under: directory) { return false }
        // Asking Git file by file reads attribute files for each: done only when a filter is possible.
        guard holdsAttributes || mayFilter(under: directory) else { return true }
        return try !filtersOnCheckout(paths)
    }

    /// Whether the configuration or an attribute file that reaches `directory` from above (the
    /// working tree's, `info/attributes`, the global and system ones) could ask for a checkout
    /// filter: any mention of one of the attributes that change bytes counts.
    private func mayFilter(under directory: String) -> Bool {
        if let autocrlf = configValue("core.autocrlf"), autocrlf.lowercased() != "false" { return true }
        var files: [String] = []
        if let root = git_repository_workdir(handle).map({ String(cString: $0) }) {
            var folder = root
            files.append(folder + ".gitattributes")
            for component in directory.split(separator: "/") {
                folder += component + "/"
                files.append(folder + ".gitattributes")
            }
        }
        if let common = git_repository_commondir(handle) { files.append(String(cString: common) + "info/attributes") }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        let configHome = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"] ?? home + "/.config"
        files.append(configValue("core.attributesFile").map { $0.hasPrefix("~/") ? home + $0.dropFirst() : $0 }
            ?? configHome + "/git/attributes")
        files.append("/etc/gitattributes")
        return files.contains { file in
            guard let bytes = try? FileBytes.read(atPath: file) else { return false }
            let text = String(decoding: bytes, as: UTF8.self)
            return ["filter", "ident", "eol", "text", "crlf", "encoding"].contains { text.containsBytes($0) }
        }
    }

    private func hasStatusEntries(under directory: String) throws(GitError) -> Bool {
        var options = git_status_options()
        _ = try GitError.check(
            git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "prepare a status query")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        var list: OpaquePointer?
        // A pattern without wildcards matches the folder and everything below it.
        var pattern = Array(directory.utf8CString)
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

    /// Whether an index entry below `directory` is marked skip-worktree or assume-unchanged, so
    /// that status does not look at its file.
    private func hidesFiles(under directory: String) throws(GitError) -> Bool {
        var index: OpaquePointer?
        _ = try GitError.check(git_repository_index(&index, handle), "read the Git index")
        defer { git_index_free(index) }
        let prefix = directory.isEmpty ? "" : directory + "/"
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position) else { continue }
            let hidden =
                entry.pointee.flags & UInt16(GIT_INDEX_ENTRY_VALID.rawValue) != 0
                || entry.pointee.flags_extended & UInt16(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0
            if hidden, String(cString: entry.pointee.path).hasPrefix(prefix) { return true }
        }
        return false
    }

    /// Whether Git would filter any of `paths` on checkout.
    private func filtersOnCheckout(_ paths: [String]) throws(GitError) -> Bool {
        for path in paths {
            var filters: OpaquePointer?
            _ = try GitError.check(
                git_filter_list_load(&filters, handle, nil, path, GIT_FILTER_TO_WORKTREE, GIT_FILTER_DEFAULT.rawValue),
                "read the filters of \(path)")
            if let filters {
                git_filter_list_free(filters)
                return true
            }
        }
        return false
    }
}
