import Foundation

/// Snapshots of shadow databases, so a replay of 5,000 migrations of which one is new restores the
/// first 4,999 instead of running them again.
///
/// A snapshot is keyed by a chained checksum of the migrations replayed so far, in order: the key
/// after migration `n` hashes the key after `n - 1` with migration `n`'s name and up script. An
/// edit, an insertion or a reorder anywhere earlier changes every later key, so a snapshot can
/// only be found for exactly the prefix it was taken after. A second chain that also covers the
/// down scripts marks prefixes whose roundtrip passed (files under `.migrate/cache/`), so only
/// newer migrations go up, down and up again.
///
/// The snapshots themselves live in a `ShadowSnapshotStore`: SQLite images in files under
/// `.migrate/cache/` (`ShadowImageFiles`), PostgreSQL template databases (`PostgresSnapshotTemplates`).
/// Either way a damaged snapshot is noted, removed and replayed around, never restored; the cache
/// is safe to delete at any time and bounded (oldest first out).
public struct ShadowSnapshotCache {
    /// Bumped whenever the key chain or the file layout changes, so old files are not read.
    static let format = 1
    /// A snapshot every `interval` migrations (plus the last of a replay) keeps the cache small
    /// while a new migration still replays at most `interval - 1` older ones.
    public static let defaultInterval = 100
    /// Only the newest `recentIntervals` intervals get snapshots: a pull request adds or changes
    /// migrations near the end, and 50 snapshots of a 5,000-migration schema would take hundreds
    /// of megabytes to save a replay that an edit of an old migration needs anyway.
    static let recentIntervals = 5

    /// Where the roundtrip marks (and SQLite's snapshot files) are kept.
    public let folder: URL
    public let store: any ShadowSnapshotStore
    public let interval: Int

    /// A cache of SQLite snapshot files in `folder`, at most `byteLimit` bytes.
    public init(folder: URL, byteLimit: Int, interval: Int = Self.defaultInterval) {
        self.init(folder: folder, store: ShadowImageFiles(folder: folder, byteLimit: byteLimit), interval: interval)
    }

    public init(folder: URL, store: any ShadowSnapshotStore, interval: Int = Self.defaultInterval) {
        self.folder = folder
        self.store = store
        self.interval = interval
    }

    /// The project's cache folder, `.migrate/cache`.
    public static func folder(of project: Project) -> URL { project.root.appending(path: ".migrate/cache") }

    /// The project's SQLite cache, sized by `[shadow] cache_size` (megabytes); `nil` when that is 0.
    public init?(project: Project) {
        let megabytes = project.configuration.shadow.cacheSize
        guard megabytes > 0 else { return nil }
        self.init(folder: Self.folder(of: project), byteLimit: megabytes * 1_048_576)
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
    public struct Restored {
        /// The database holding the restored prefix; `nil` when none was restored.
        public var database: (any DatabaseDriver)?
        /// How many of the first migrations the database holds (0: none, replay from nothing).
        public var count = 0
        /// Damaged snapshots that were ignored and removed, and the store's own notes.
        public var notes: [String] = []
    }

    /// Opens the snapshot of the longest prefix of at most `limit` migrations that the store holds,
    /// trying shorter prefixes when one is damaged.
    public func restoreLongestPrefix(_ keys: Keys, limit: Int, makeDatabase: ShadowDatabaseFactory) -> Restored {
        var restored = Restored(notes: store.takeNotes())
        for count in stride(from: min(limit, keys.snapshot.count), to: 0, by: -1) {
            do {
                guard let database = try store.open(keys.snapshot[count - 1], makeDatabase: makeDatabase) else {
                    continue
                }
                (restored.database, restored.count) = (database, count)
                return restored
            } catch {
                restored.notes.append(error.message)
            }
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
    public func hasSnapshot(_ key: String) -> Bool { store.contains(key) }

    /// Keeps `database`'s content as the snapshot for `key`.
    public func store(_ database: any DatabaseDriver, key: String) { store.keep(database, as: key) }

    /// Whether every up of the migrations `key` covers ran in a replay before: read from a file, so
    /// a run that needs nothing else starts no shadow server.
    public func replayPassed(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: markerFile(key, "replayed").path)
    }

    /// Remembers that every up of the migrations `key` covers ran.
    public func recordReplayPassed(_ key: String) {
        Self.write(Data("passed\n".utf8), to: markerFile(key, "replayed"), in: folder)
    }

    /// Whether the roundtrip of the migrations `key` covers passed before.
    public func roundtripPassed(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: passedFile(key).path)
    }

    /// Remembers that the roundtrip of the migrations `key` covers passed.
    public func recordRoundtripPassed(_ key: String) {
        Self.write(Data("passed\n".utf8), to: passedFile(key), in: folder)
    }

    /// The lock measurement kept for `key` (the schema before the branch and the branch's
    /// scripts); `nil` when there is none or it cannot be read (it is measured again).
    public func measurement(_ key: String) -> LockMeasurement? {
        guard let data = FileManager.default.contents(atPath: measurementFile(key).path),
            var measurement = try? JSONDecoder().decode(LockMeasurement.self, from: data)
        else { return nil }
        measurement.reused = true
        return measurement
    }

    /// Keeps `measurement` for `key`.
    public func keep(_ measurement: LockMeasurement, key: String) {
        guard let data = try? JSONEncoder().encode(measurement) else { return }
        Self.write(data, to: measurementFile(key), in: folder)
    }

    private func measurementFile(_ key: String) -> URL {
        folder.appending(path: "measure-v\(Self.format)-\(key).json")
    }

    private func passedFile(_ key: String) -> URL { markerFile(key, "passed") }

    private func markerFile(_ key: String, _ kind: String) -> URL {
        folder.appending(path: "shadow-v\(Self.format)-\(key).\(kind)")
    }

    /// Writes `contents` to a temporary file beside `file` and renames it over, so a reader never
    /// sees half a file; creates `folder` (ignoring itself in Git) first. A cache that cannot be
    /// written is only a slower next run, so failures are ignored.
    static func write(_ contents: Data, to file: URL, in folder: URL) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ignore = folder.appending(path: ".gitignore")
            if !FileManager.default.fileExists(atPath: ignore.path) {
                try Data("# mig's cache: safe to delete, never committed.\n*\n".utf8).write(to: ignore)
            }
            let temporary = folder.appending(path: ".\(file.lastPathComponent).\(UUID().uuidString).tmp")
            try contents.write(to: temporary)
            if rename(temporary.path, file.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        } catch {
            return
        }
    }
}
