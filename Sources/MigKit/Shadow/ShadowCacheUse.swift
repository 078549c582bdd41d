/// How much of a command's shadow replays came from the snapshot cache, so the command can say
/// what it restored and what it ran (`mig check --shadow`: "replayed 2 of 1001 migration(s); 999
/// restored from .migrate/cache").
public struct ShadowCacheUse: Sendable, Codable, Equatable {
    /// How many replays ran, and the migrations they covered in all.
    public private(set) var replays = 0
    public private(set) var migrations = 0
    /// How many of `migrations` were restored from snapshots instead of run.
    public private(set) var restored = 0
    /// Whether the replays could use a cache at all (not with `--no-cache`).
    public private(set) var cacheEnabled = false
    /// Damaged cache files that were ignored.
    public private(set) var notes: [String] = []

    public init() {}

    /// Counts one replay of `count` migrations by `replay`, which gave `report`.
    mutating func add(_ report: ShadowReport, of count: Int, by replay: ShadowReplay) {
        replays += 1
        migrations += count
        restored += report.restoredFromCache
        cacheEnabled = cacheEnabled || replay.cache != nil
        notes += report.cacheNotes
    }

    /// Adds a note for people about what came from the cache.
    mutating func note(_ text: String) { notes.append(text) }

    /// One line for people; `nil` when nothing was replayed.
    public var summary: String? {
        guard replays > 0 else { return nil }
        let over = replays > 1 ? " over \(replays) shadow replays" : ""
        guard cacheEnabled else {
            return "shadow: replayed \(migrations) migration(s)\(over) from nothing (--no-cache)"
        }
        guard restored > 0 else {
            return
                "shadow: replayed \(migrations) migration(s)\(over); none restored from .migrate/cache (no snapshot matched)"
        }
        return "shadow: replayed \(migrations - restored) of \(migrations) migration(s)\(over); "
            + "\(restored) restored from .migrate/cache"
    }
}
