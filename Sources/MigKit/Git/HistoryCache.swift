import Crypto
import Foundation

/// Computed migration histories kept under `.migrate/cache/`, so a second `mig history` on an
/// unchanged repository reads one file instead of walking every commit again.
///
/// An entry is keyed by the commit id the history was read from (plus the migration
/// directory and the cache format): a commit's history can never change, so an entry is never
/// stale — a new commit simply has no entry yet. Anything unreadable is ignored and recomputed;
/// the folder ignores itself in Git and is safe to delete at any time.
public struct HistoryCache: Sendable {
    /// Bumped whenever `MigrationHistory`'s encoding changes, so old entries are not read.
    static let format = 2
    /// Entries kept; older ones are removed when a new one is written.
    static let limit = 8

    public let folder: URL

    public init(project: Project) {
        folder = project.root.appending(path: ".migrate/cache")
    }

    /// The history stored for `commit` and `directory`, or `nil` when there is none or it cannot be read.
    public func history(at commit: GitObjectID, directory: String) -> MigrationHistory? {
        guard let data = FileManager.default.contents(atPath: file(commit, directory).path) else { return nil }
        return try? JSONDecoder().decode(MigrationHistory.self, from: data)
    }

    /// Stores a history; a cache that cannot be written is only a slower next run, so failures are ignored.
    public func store(_ history: MigrationHistory, at commit: GitObjectID, directory: String) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ignore = folder.appending(path: ".gitignore")
            if !FileManager.default.fileExists(atPath: ignore.path) {
                try Data("# mig's cache: safe to delete, never committed.\n*\n".utf8).write(to: ignore)
            }
            try JSONEncoder().encode(history).write(to: file(commit, directory), options: .atomic)
            try prune()
        } catch {
            return
        }
    }

    private func file(_ commit: GitObjectID, _ directory: String) -> URL {
        let place = SHA256.hash(data: Array(directory.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        return folder.appending(path: "history-v\(Self.format)-\(commit.hex)-\(place).json")
    }

    /// Removes all but the newest `limit` entries.
    private func prune() throws {
        let entries = try FileManager.default.contentsOfDirectory(
            at: folder, includingPropertiesForKeys: [.contentModificationDateKey]
        ).filter { $0.lastPathComponent.hasPrefix("history-") }
        guard entries.count > Self.limit else { return }
        let dated = entries.map { url in
            (url, (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast)
        }
        for (url, _) in dated.sorted(by: { $0.1 > $1.1 }).dropFirst(Self.limit) {
            try? FileManager.default.removeItem(at: url)
        }
    }
}
