import Crypto
import Foundation

/// Snapshots of shadow databases kept under `.migrate/cache/`, so a replay of 5,000 migrations of
/// which one is new restores the first 4,999 instead of running them again.
///
/// A snapshot is keyed by a chained checksum of the migrations replayed so far, in order: the key
/// after migration `n` hashes the key after `n - 1` with migration `n`'s name and up script. An
/// edit, an insertion or a reorder anywhere earlier changes every later key, so a snapshot can
/// only be found for exactly the prefix it was taken after. A second chain that also covers the
/// down scripts marks prefixes whose roundtrip passed, so only newer migrations go up, down and
/// up again.
///
/// Files are written to a temporary name and renamed, and each carries a SHA-256 of its content:
/// a damaged or truncated file is noted, removed and replayed around, never restored. The folder
/// ignores itself in Git, is safe to delete at any time and is bounded in size (oldest first out).
public struct ShadowSnapshotCache: Sendable {
    /// Bumped whenever the key chain or the file layout changes, so old files are not read.
    static let format = 1
    static let magic = Array("mig shadow snapshot \(format)\n".utf8)
    /// A snapshot every `interval` migrations (plus the last of a replay) keeps the cache small
    /// while a new migration still replays at most `interval - 1` older ones.
    public static let defaultInterval = 100
    /// Only the newest `recentIntervals` intervals get snapshots: a pull request adds or changes
    /// migrations near the end, and 50 snapshots of a 5,000-migration schema would take hundreds
    /// of megabytes to save a replay that an edit of an old migration needs anyway.
    static let recentIntervals = 5

    public let folder: URL
    /// The most bytes the snapshots may take; the least recently used go first.
    public let byteLimit: Int
    public let interval: Int

    public init(folder: URL, byteLimit: Int, interval: Int = Self.defaultInterval) {
        self.folder = folder
        self.byteLimit = byteLimit
        self.interval = interval
    }

    /// The project's cache, sized by `[shadow] cache_size` (megabytes); `nil` when that is 0.
    public init?(project: Project) {
        let megabytes = project.configuration.shadow.cacheSize
        guard megabytes > 0 else { return nil }
        self.init(folder: project.root.appending(path: ".migrate/cache"), byteLimit: megabytes * 1_048_576)
    }

    /// The two key chains of a list of migrations: `snapshot[i]` covers the ups of `0...i`,
    /// `roundtrip[i]` their ups and downs.
    public struct Keys: Sendable {
        public let snapshot: [String]
        public let roundtrip: [String]

        public init(_ migrations: [Migration], dialect: Dialect) {
            var up = Array("mig-shadow-\(ShadowSnapshotCache.format)-\(dialect.rawValue)".utf8)
            var both = up
            var snapshot: [String] = []
            var roundtrip: [String] = []
            for migration in migrations {
                let step = "\n\(migration.identifier)\n\(migration.up.runChecksum)\n\(migration.up.runsOutsideTransaction)"
                up = Array(Script.checksum(of: up + Array(step.utf8)).utf8)
                let down = migration.down.map { "\($0.runChecksum)\n\($0.runsOutsideTransaction)" } ?? "none"
                both = Array(Script.checksum(of: both + Array("\(step)\n\(down)".utf8)).utf8)
                snapshot.append(String(decoding: up, as: UTF8.self))
                roundtrip.append(String(decoding: both, as: UTF8.self))
            }
            self.snapshot = snapshot
            self.roundtrip = roundtrip
        }
    }

    /// What `restoreLongestPrefix` did.
    public struct Restored: Sendable {
        /// How many of the first migrations the database now holds (0: none, replay from nothing).
        public var count = 0
        /// Damaged files that were ignored and removed.
        public var notes: [String] = []
    }

    /// Loads into `database` (fresh) the snapshot of the longest prefix of at most `limit`
    /// migrations that the cache holds, trying shorter prefixes when a file is damaged.
    public func restoreLongestPrefix(_ keys: Keys, limit: Int, into database: any DatabaseDriver) -> Restored {
        var restored = Restored()
        for count in stride(from: min(limit, keys.snapshot.count), to: 0, by: -1) {
            let file = snapshotFile(keys.snapshot[count - 1])
            guard let contents = FileManager.default.contents(atPath: file.path) else { continue }
            guard let image = Self.payload(of: contents), (try? database.restore(image: image)) == true else {
                restored.notes.append(
                    "ignored a damaged shadow snapshot (\(file.lastPathComponent)); replaying those migrations instead")
                try? FileManager.default.removeItem(at: file)
                continue
            }
            touch(file)
            restored.count = count
            return restored
        }
        return restored
    }

    /// Whether a snapshot after the first `count` of `total` migrations is worth keeping: every
    /// `interval` among the newest `recentIntervals` intervals, the last, and the `extra` one asked for.
    public func isCheckpoint(_ count: Int, of total: Int, extra: Int?) -> Bool {
        count == total || count == extra
            || (count % interval == 0 && count > total - interval * Self.recentIntervals)
    }

    /// Whether a snapshot after the migrations `key` covers is already kept.
    public func hasSnapshot(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: snapshotFile(key).path)
    }

    /// Keeps `database`'s content as the snapshot for `key`. A cache that cannot be written is
    /// only a slower next run, so failures are ignored.
    public func store(_ database: any DatabaseDriver, key: String) {
        guard let image = try? database.image() else { return }
        var contents = Data(Self.magic)
        contents.append(contentsOf: SHA256.hash(data: image))
        contents.append(image)
        write(contents, to: snapshotFile(key))
        prune()
    }

    /// Whether the roundtrip of the migrations `key` covers passed before.
    public func roundtripPassed(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: passedFile(key).path)
    }

    /// Remembers that the roundtrip of the migrations `key` covers passed.
    public func recordRoundtripPassed(_ key: String) {
        write(Data("passed\n".utf8), to: passedFile(key))
    }

    private func snapshotFile(_ key: String) -> URL { folder.appending(path: "shadow-v\(Self.format)-\(key).db") }
    private func passedFile(_ key: String) -> URL { folder.appending(path: "shadow-v\(Self.format)-\(key).passed") }

    /// The image inside a snapshot file (the header, the image's SHA-256, the image), or `nil`
    /// when the header or the digest does not match.
    static func payload(of contents: Data) -> Data? {
        let digestStart = contents.startIndex + magic.count
        let imageStart = digestStart + SHA256.byteCount
        guard contents.count > imageStart - contents.startIndex, contents.starts(with: magic) else { return nil }
        let image = contents[imageStart...]
        guard SHA256.hash(data: image).elementsEqual(contents[digestStart..<imageStart]) else { return nil }
        return image
    }

    /// Writes to a temporary file beside `file` and renames it over, so a reader never sees half a file.
    private func write(_ contents: Data, to file: URL) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ignore = folder.appending(path: ".gitignore")
            if !FileManager.default.fileExists(atPath: ignore.path) {
                try Data("# mig's cache: safe to delete, never committed.\n*\n".utf8).write(to: ignore)
            }
            let temporary = folder.appending(path: ".\(file.lastPathComponent).\(UUID().uuidString).tmp")
            try contents.write(to: temporary)
            guard rename(temporary.path, file.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                return
            }
        } catch {
            return
        }
    }

    /// Marks a snapshot used now, so eviction removes the least recently used first.
    private func touch(_ file: URL) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file.path)
    }

    /// Removes the least recently used shadow files until the snapshots fit in `byteLimit`.
    private func prune() {
        let keys: [URLResourceKey] = [.contentModificationDateKey, .fileSizeKey]
        guard
            let entries = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: keys)
        else { return }
        let files = entries.filter { $0.lastPathComponent.hasPrefix("shadow-") }.map { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return (url, values?.contentModificationDate ?? .distantPast, values?.fileSize ?? 0)
        }
        var total = files.reduce(0) { $0 + $1.2 }
        for (url, _, size) in files.sorted(by: { $0.1 < $1.1 }) where total > byteLimit {
            try? FileManager.default.removeItem(at: url)
            total -= size
        }
    }
}
