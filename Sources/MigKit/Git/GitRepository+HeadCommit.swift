internal import CGit2

extension GitRepository {
    /// The full hex id of the commit HEAD points at, or `nil` when HEAD has no commit yet;
    /// the history table records it as `git_commit`.
    public func headCommitID() -> String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, "HEAD") == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ))
        git_oid_fmt(&text, &oid)
        return String(decoding: text.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
