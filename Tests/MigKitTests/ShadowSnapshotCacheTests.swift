import Foundation
import MigKit
import Testing

@Suite struct ShadowSnapshotCacheTests {
    let fixture: MigrationFixture
    let cache: ShadowSnapshotCache

    init() throws {
        fixture = try MigrationFixture()
        cache = ShadowSnapshotCache(
            folder: fixture.scratch.url.appending(path: ".migrate/cache"), byteLimit: 64 << 20, interval: 4)
        for number in 1...10 { try add(number) }
    }

    private func add(_ number: Int, column: String = "v") throws {
        try fixture.add(
            String(format: "%04d", number * 10), "t\(number)",
            up: "CREATE TABLE t\(number) (id INTEGER PRIMARY KEY, \(column) TEXT);\n"
                + "CREATE INDEX t\(number)_\(column) ON t\(number) (\(column));",
            down: "DROP TABLE t\(number);")
    }

    private var cached: ShadowReplay {
        ShadowReplay(directoryPrefix: fixture.directory, cache: cache) { try SQLiteDriver.inMemory() }
    }

    private func cold(_ migrations: [Migration]) throws -> SchemaSnapshot? {
        try fixture.replay().run(migrations, roundtrip: false, capturingSchema: true).schema
    }

    private var snapshotFiles: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: cache.folder, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "db" }
    }

    @Test func aSecondRunReplaysOnlyTheNewMigrationAndGetsTheColdSchema() throws {
        let first = try cached.run(try fixture.catalog().migrations, roundtrip: false, capturingSchema: true)
        #expect(first.restoredFromCache == 0)
        #expect(first.steps.count == 10)
        // Every 4 migrations plus the last.
        #expect(snapshotFiles.count == 3)
        try add(11)
        let migrations = try fixture.catalog().migrations
        let second = try cached.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(second.restoredFromCache == 10)
        #expect(second.steps.map(\.name) == ["t11"])
        #expect(second.schema == (try cold(migrations)))
        #expect(second.schema?.objects.contains { $0.name == "t11_v" } == true)
    }

    @Test func anEditOfAnEarlyMigrationInvalidatesEveryLaterSnapshot() throws {
        _ = try cached.run(try fixture.catalog().migrations, roundtrip: false)
        try add(3, column: "w")
        let migrations = try fixture.catalog().migrations
        let report = try cached.run(migrations, roundtrip: false, capturingSchema: true)
        // Only the snapshot after the first two migrations could match; none was kept there.
        #expect(report.restoredFromCache == 0)
        #expect(report.schema == (try cold(migrations)))
        #expect(report.schema?.objects.contains { $0.name == "t3_w" } == true)
        // The edit is now the prefix of the new snapshots: a third run restores everything.
        #expect(try cached.run(migrations, roundtrip: false).restoredFromCache == 10)
    }

    /// 1,000 cheap migrations with the default interval: an edit of the tenth changes every key
    /// from the tenth on, so nothing kept matches, and the replay equals a cold one.
    @Test func anEditOfMigrationTenOfAThousandInvalidatesEverythingFromTen() throws {
        let large = try MigrationFixture()
        let write = { (number: Int, column: String) in
            try large.add(
                String(format: "%05d", number), "t\(number)", up: "CREATE TABLE t\(number) (\(column) INTEGER);",
                down: "DROP TABLE t\(number);")
        }
        for number in 1...1_000 { try write(number, "id") }
        let cache = ShadowSnapshotCache(folder: large.scratch.url.appending(path: ".migrate/cache"), byteLimit: 1 << 30)
        let replay = ShadowReplay(directoryPrefix: large.directory, cache: cache) { try SQLiteDriver.inMemory() }
        let original = try large.catalog().migrations
        #expect(try replay.run(original, roundtrip: false).restoredFromCache == 0)
        #expect(try replay.run(original, roundtrip: false).restoredFromCache == 1_000)
        try write(10, "edited")
        let edited = try large.catalog().migrations
        let (before, after) = (
            ShadowSnapshotCache.Keys(original, dialect: .sqlite), ShadowSnapshotCache.Keys(edited, dialect: .sqlite)
        )
        #expect(before.snapshot.prefix(9) == after.snapshot.prefix(9))
        #expect(zip(before.snapshot, after.snapshot).dropFirst(9).allSatisfy { $0 != $1 })
        #expect(!after.snapshot.dropFirst(9).contains { cache.hasSnapshot($0) })
        let report = try replay.run(edited, roundtrip: false, capturingSchema: true)
        #expect(report.restoredFromCache == 0)
        #expect(report.steps.count == 1_000)
        let expected = try large.replay().run(edited, roundtrip: false, capturingSchema: true).schema
        #expect(report.schema == expected)
        #expect(report.schema?.objects.contains { $0.name == "t10" && $0.details.contains { $0.contains("edited") } } == true)
        // An edit near the end keeps the snapshot before it.
        try write(950, "late")
        #expect(try replay.run(try large.catalog().migrations, roundtrip: false).restoredFromCache == 900)
    }

    @Test func anInsertionOrReorderRestoresOnlyTheUnchangedPrefix() throws {
        _ = try cached.run(try fixture.catalog().migrations, roundtrip: false)
        // 0055 lands between t5 (0050) and t6 (0060): the snapshot after 4 still matches, the one after 8 does not.
        try fixture.add(
            "0055", "between", up: "CREATE TABLE between_them (id INTEGER);", down: "DROP TABLE between_them;")
        let inserted = try fixture.catalog().migrations
        let report = try cached.run(inserted, roundtrip: false, capturingSchema: true)
        #expect(report.restoredFromCache == 4)
        #expect(report.schema == (try cold(inserted)))
        // The same migrations in another order share no prefix beyond the first difference.
        let reordered = [inserted[1], inserted[0]] + inserted.dropFirst(2)
        let swapped = try cached.run(reordered, roundtrip: false, capturingSchema: true)
        #expect(swapped.restoredFromCache == 0)
        #expect(swapped.schema == (try cold(reordered)))
    }

    @Test func aDamagedSnapshotIsIgnoredWithANoteAndReplayedAround() throws {
        let migrations = try fixture.catalog().migrations
        _ = try cached.run(migrations, roundtrip: false)
        for file in snapshotFiles {
            let bytes = try Data(contentsOf: file)
            try bytes.prefix(bytes.count / 2).write(to: file)
        }
        let truncated = try cached.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(truncated.restoredFromCache == 0)
        #expect(truncated.cacheNotes.count == 3)
        #expect(truncated.cacheNotes.allSatisfy { $0.contains("ignored a damaged shadow snapshot") })
        #expect(truncated.schema == (try cold(migrations)))
        // One changed byte in the image, with the length intact, is caught by the checksum.
        for file in snapshotFiles {
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count - 200] ^= 0xFF
            try bytes.write(to: file)
        }
        let flipped = try cached.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(flipped.restoredFromCache == 0)
        #expect(flipped.cacheNotes.count == 3)
        #expect(flipped.schema == (try cold(migrations)))
        // A deleted cache is only a slower run.
        try FileManager.default.removeItem(at: cache.folder)
        let fresh = try cached.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(fresh.restoredFromCache == 0)
        #expect(fresh.cacheNotes.isEmpty)
        #expect(fresh.schema == (try cold(migrations)))
    }

    @Test func theRoundtripCoversOnlyMigrationsAfterAPrefixThatPassedBefore() throws {
        let first = try cached.run(try fixture.catalog().migrations, roundtrip: true)
        #expect(first.roundtripCompleted)
        #expect(first.roundtripFromCache == 0)
        try add(11)
        let second = try cached.run(try fixture.catalog().migrations, roundtrip: true)
        #expect(second.roundtripCompleted)
        #expect(second.roundtripFromCache == 10)
        #expect(second.restoredFromCache == 10)
        #expect(second.steps.map { "\($0.direction.rawValue) \($0.name)" } == ["up t11", "down t11", "up t11"])
        // A down that no longer reverts, in an old migration, is round-tripped again and caught.
        try fixture.add("0020", "t2", up: "CREATE TABLE t2 (id INTEGER PRIMARY KEY, v TEXT);", down: "SELECT 1;")
        let edited = try cached.run(try fixture.catalog().migrations, roundtrip: true)
        #expect(edited.roundtripFromCache == 0)
        #expect(edited.diagnostics.first?.message.contains("0020_t2 does not fully revert") == true)
    }

    @Test func twoRunsShareOneCacheAtTheSameTime() async throws {
        let migrations = try fixture.catalog().migrations
        let expected = try cold(migrations)
        let (folder, directory) = (cache.folder, fixture.directory)
        let schemas = try await withThrowingTaskGroup(of: SchemaSnapshot?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let cache = ShadowSnapshotCache(folder: folder, byteLimit: 64 << 20, interval: 1)
                    let replay = ShadowReplay(directoryPrefix: directory, cache: cache) { try SQLiteDriver.inMemory() }
                    var last: SchemaSnapshot?
                    for _ in 0..<3 { last = try replay.run(migrations, roundtrip: false, capturingSchema: true).schema }
                    return last
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(schemas.allSatisfy { $0 == expected })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    /// `mig check --shadow` replays base's migrations followed by the branch's: the snapshot at
    /// the end of base's is what the next pull request on that base starts from.
    @Test func theDeployOrderReplayKeepsASnapshotAtTheEndOfTheBase() throws {
        let base = try fixture.catalog()
        try add(11)
        let head = try fixture.catalog()
        let sparse = ShadowSnapshotCache(folder: cache.folder, byteLimit: 64 << 20, interval: 100)
        let replay = ShadowReplay(directoryPrefix: fixture.directory, cache: sparse) { try SQLiteDriver.inMemory() }
        #expect(try DeployOrderDrift(replay: replay).check(base: base, head: head).diagnostics.isEmpty)
        #expect(try replay.run(base.migrations, roundtrip: false).restoredFromCache == 10)
        #expect(try replay.run(head.migrations, roundtrip: false).restoredFromCache == 11)
    }

    @Test func snapshotsAreKeptOnlyForTheNewestIntervalsAndTheEnds() {
        let every100 = ShadowSnapshotCache(folder: cache.folder, byteLimit: 1, interval: 100)
        let kept = (1...1_000).filter { every100.isCheckpoint($0, of: 1_000, extra: 250) }
        #expect(kept == [250, 600, 700, 800, 900, 1_000])
    }

    @Test func theOldestSnapshotsGoWhenTheCacheIsFull() throws {
        let migrations = try fixture.catalog().migrations
        _ = try cached.run(migrations, roundtrip: false)
        // Room for about two of the largest: the two older snapshots go, the one just used and the new one stay.
        let size = try snapshotFiles.map { try $0.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0 }.max() ?? 0
        let small = ShadowSnapshotCache(folder: cache.folder, byteLimit: size * 2 + size / 2, interval: 4)
        try add(11)
        _ = try ShadowReplay(directoryPrefix: fixture.directory, cache: small) { try SQLiteDriver.inMemory() }
            .run(try fixture.catalog().migrations, roundtrip: false)
        #expect(snapshotFiles.count == 2)
        #expect(
            try ShadowReplay(directoryPrefix: fixture.directory, cache: small) { try SQLiteDriver.inMemory() }
                .run(try fixture.catalog().migrations, roundtrip: false).restoredFromCache == 11)
    }
}
