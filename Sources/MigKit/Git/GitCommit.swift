import Foundation
internal import CGit2

/// Who made a commit and when, with its id and summary: what findings and history show.
public struct CommitInfo: Sendable, Hashable, Codable {
    public let id: GitObjectID
    public let author: String
    public let email: String
    public let time: Date
    /// The first line of the message.
    public let summary: String

    public init(id: GitObjectID, author: String, email: String, time: Date, summary: String) {
        self.id = id
        self.author = author
        self.email = email
        self.time = time
        self.summary = summary
    }

    /// `abc1234567 (Ada Lovelace, 2024-01-15)`: how a finding names a commit.
    public var label: String {
        "\(id.short) (\(author), \(day))"
    }

    /// The author date in UTC, `2024-01-15`.
    public var day: String { Self.dayFormatter.string(from: time) }

    private static let dayFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()
}

/// A commit read from the object database: its tree, parents and author.
final class GitCommit {
    private let object: GitObjectHandle
    var repository: GitRepository { object.repository }
    var handle: OpaquePointer { object.handle }

    init(_ id: GitObjectID, in repository: GitRepository) throws(GitError) {
        object = try GitObjectHandle(id, type: GIT_OBJECT_COMMIT, in: repository, action: "read commit")
    }

    var id: GitObjectID { GitObjectID(git_commit_id(handle)) }

    var treeID: GitObjectID { GitObjectID(git_commit_tree_id(handle)) }

    var parentIDs: [GitObjectID] {
        (0..<git_commit_parentcount(handle)).map { GitObjectID(git_commit_parent_id(handle, $0)) }
    }

    var info: CommitInfo {
        let author = git_commit_author(handle)!.pointee
        return CommitInfo(
            id: id, author: String(cString: author.name), email: String(cString: author.email),
            time: Date(timeIntervalSince1970: TimeInterval(author.when.time)),
            summary: git_commit_summary(handle).map { String(cString: $0) } ?? "")
    }

    func tree() throws(GitError) -> GitTree {
        try GitTree(treeID, in: repository)
    }
}
