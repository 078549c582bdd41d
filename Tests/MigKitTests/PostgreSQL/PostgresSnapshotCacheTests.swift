import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// PostgreSQL shadow snapshots (`PostgresSnapshotTemplates`): template databases on a given server
/// and in a private cluster kept in the cache folder between runs.
@Suite(.postgres, .serialized) struct PostgresSnapshotCacheTests {
    let fixture: MigrationFixture
    /// Unique to this test, so that snapshots of other tests on the same server never match.
    let marker = UUID().uuidString.prefix(8).lowercased()

    init() throws {
        fixture = try MigrationFixture()
        for number in 1...10 { try add(number) }
    }

    private func add(_ number: Int, column: String = "v") throws {
        try fixture.add(
            String(format: "%04d", number * 10), "t\(number)",
            up: "CREATE TABLE t\(number) (id serial PRIMARY KEY, \(column) text DEFAULT '\(marker)');\n"
                + "CREATE INDEX t\(number)_\(column) ON t\(number) (\(column));",
            down: "DROP TABLE t\(number);")
    }

    private static func givenServer() throws -> PostgresShadowServer {
        try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: Configuration.Database(), announce: {})
    }

    private func cached(on server: PostgresShadowServer, interval: Int = 4) -> ShadowReplay {
        let store = PostgresSnapshotTemplates(server: server, byteLimit: 1 << 30)
        let cache = ShadowSnapshotCache(
            folder: fixture.scratch.url.appending(path: ".migrate/cache"), store: store, interval: interval)
        return ShadowReplay(directoryPrefix: fixture.directory, cache: cache) { try server.makeDatabase() }
    }

    private func cold(_ migrations: [Migration], on server: PostgresShadowServer) throws -> SchemaSnapshot? {
        try ShadowReplay(directoryPrefix: fixture.directory) { try server.makeDatabase() }
            .run(migrations, roundtrip: false, capturingSchema: true).schema
    }

    @Test func aCachedReplayGivesTheColdSchemaAlsoAfterAnEditOfAnEarlyMigration() throws {
        let server = try Self.givenServer()
        let replay = cached(on: server)
        let first = try replay.run(try fixture.catalog().migrations, roundtrip: false, capturingSchema: true)
        #expect(first.restoredFromCache == 0)
        #expect(first.diagnostics.isEmpty)
        try add(11)
        let migrations = try fixture.catalog().migrations
        let second = try replay.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(second.restoredFromCache == 10)
        #expect(second.steps.map(\.name) == ["t11"])
        #expect(second.cacheNotes.isEmpty)
        #expect(second.schema == (try cold(migrations, on: server)))
        // An edit of the third migration: no snapshot after it matches any more.
        try add(3, column: "w")
        let edited = try fixture.catalog().migrations
        let third = try replay.run(edited, roundtrip: false, capturingSchema: true)
        #expect(third.restoredFromCache == 0)
        #expect(third.schema == (try cold(edited, on: server)))
        #expect(third.schema?.objects.contains { $0.name == "t3_w" } == true)
        // A sequence's state comes with the copy: the restored shadow goes on where the snapshot stopped.
        #expect(try replay.run(edited, roundtrip: true).roundtripCompleted)
    }

    @Test func aChangedSnapshotIsDroppedWithANoteAndAMissingOneIsReplayedAround() throws {
        let server = try Self.givenServer()
        let replay = cached(on: server)
        let migrations = try fixture.catalog().migrations
        _ = try replay.run(migrations, roundtrip: false)
        let store = PostgresSnapshotTemplates(server: server, byteLimit: 1 << 30)
        let keys = ShadowSnapshotCache.Keys(migrations, dialect: .postgres)
        let last = store.name(keys.snapshot[9])
        #expect(store.contains(keys.snapshot[9]))
        // Someone opens the snapshot and changes it.
        try server.admin.execute("ALTER DATABASE \(last) ALLOW_CONNECTIONS true", parameters: [])
        do {
            let intruder = try PostgresDriver(
                url: try PostgresTestServer.url(database: "postgres"), database: last, settings: Configuration.Database())
            try intruder.execute(sql: "CREATE TABLE intruder (id integer)")
        }
        let changed = try replay.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(changed.cacheNotes.count == 1)
        #expect(changed.cacheNotes.first?.contains("ignored a damaged shadow snapshot") == true)
        #expect(changed.restoredFromCache == 8)
        #expect(changed.schema == (try cold(migrations, on: server)))
        #expect(changed.schema?.objects.contains { $0.name == "intruder" } == false)
        // The changed one was dropped, and this run kept a good one in its place.
        #expect(try replay.run(migrations, roundtrip: false).restoredFromCache == 10)
        // A snapshot dropped by hand is only a longer replay.
        for count in [8, 10] {
            try server.admin.execute("DROP DATABASE \(store.name(keys.snapshot[count - 1]))", parameters: [])
        }
        let missing = try replay.run(migrations, roundtrip: false, capturingSchema: true)
        #expect(missing.restoredFromCache == 4)
        #expect(missing.cacheNotes.isEmpty)
        #expect(missing.schema == (try cold(migrations, on: server)))
    }

    @Test func runsAtTheSameTimeShareTheSnapshotsOfAServer() async throws {
        let migrations = try fixture.catalog().migrations
        let expected = try cold(migrations, on: try Self.givenServer())
        let (folder, directory) = (fixture.scratch.url.appending(path: ".migrate/cache"), fixture.directory)
        let schemas = try await withThrowingTaskGroup(of: [SchemaSnapshot?].self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let server = try Self.givenServer()
                    let cache = ShadowSnapshotCache(
                        folder: folder, store: PostgresSnapshotTemplates(server: server, byteLimit: 1 << 30),
                        interval: 2)
                    let replay = ShadowReplay(directoryPrefix: directory, cache: cache) { try server.makeDatabase() }
                    return try (0..<3).map { _ in
                        let report = try replay.run(migrations, roundtrip: false, capturingSchema: true)
                        #expect(report.diagnostics.isEmpty)
                        return report.schema
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(schemas.count == 9)
        #expect(schemas.allSatisfy { $0 == expected })
        let server = try Self.givenServer()
        let temporary = try server.admin.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'mig\\_snaptmp\\_%'", parameters: [])
        #expect(temporary.value(row: 0, column: 0) == "0")
    }

    @Test func theOldestSnapshotsGoWhenTheServerHoldsMoreThanTheLimit() throws {
        let server = try Self.givenServer()
        let migrations = try fixture.catalog().migrations
        let keys = ShadowSnapshotCache.Keys(migrations, dialect: .postgres)
        // Room for one snapshot only: each is a copy of a whole database (several megabytes).
        let store = PostgresSnapshotTemplates(server: server, byteLimit: 12 << 20)
        let cache = ShadowSnapshotCache(
            folder: fixture.scratch.url.appending(path: ".migrate/cache"), store: store, interval: 4)
        _ = try ShadowReplay(directoryPrefix: fixture.directory, cache: cache) { try server.makeDatabase() }
            .run(migrations, roundtrip: false)
        #expect([4, 8, 10].map { store.contains(keys.snapshot[$0 - 1]) } == [false, false, true])
    }

    /// Without a server URL the private cluster lives in the cache folder, so its snapshots serve
    /// the next run; a run that finds it in use gets a throw-away cluster and says so.
    @Test func aKeptClusterServesTheNextRunAndOneRunAtATime() throws {
        let folder = fixture.scratch.url.appending(path: ".migrate/cache/postgres")
        let migrations = try fixture.catalog().migrations
        let run = { (server: PostgresShadowServer) in
            try cached(on: server).run(migrations, roundtrip: false, capturingSchema: true)
        }
        var first: PostgresShadowServer? = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        let cold = try run(first!)
        #expect(cold.restoredFromCache == 0)
        // A second run while the first still holds the cluster.
        let second = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        let beside = try run(second)
        #expect(beside.restoredFromCache == 0)
        #expect(beside.cacheNotes.count == 1)
        #expect(beside.cacheNotes.first?.contains("another mig run is using the shadow cluster") == true)
        #expect(beside.schema == cold.schema)
        first = nil
        withExtendedLifetime(first) {}
        let next = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        let warm = try run(next)
        #expect(warm.restoredFromCache == 10)
        #expect(warm.cacheNotes.isEmpty)
        #expect(warm.schema == cold.schema)
        withExtendedLifetime(second) {}
    }

    /// A rehearsal copy in the kept cluster goes to a tablespace in memory (when `/dev/shm` has room)
    /// and goes with the run; the next run drops what a killed run left there, although the
    /// killed run's folder in memory is gone.
    @Test func rehearsalCopiesOfAKeptClusterLiveInMemoryAndLeaveNothing() throws {
        let folder = fixture.scratch.url.appending(path: ".migrate/cache/postgres")
        let location = { (database: PostgresDriver) in
            try database.connection.execute(
                "SELECT pg_tablespace_location(dattablespace) FROM pg_database WHERE datname = current_database()",
                parameters: []
            ).value(row: 0, column: 0) ?? ""
        }
        var server: PostgresShadowServer? = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        let copy = try #require(try server?.makeDatabase(inMemory: true) as? PostgresDriver)
        let onDisk = try #require(try server?.makeDatabase() as? PostgresDriver)
        #expect(try location(onDisk) == "")
        guard let memory = PostgresPrivateCluster.memoryFolder() else {
            #expect(try location(copy) == "")
            return
        }
        let place = try location(copy)
        #expect(place.hasPrefix(memory.path + "/mig-shadow-"), "\(place)")
        // What a killed run leaves: a database in a tablespace whose folder its watchdog removed.
        let admin = try #require(server?.admin)
        let killed = memory.appending(path: "mig-shadow-killed-\(marker)")
        try FileManager.default.createDirectory(at: killed, withIntermediateDirectories: true)
        // Owned by the server's user, as the tablespace folders mig makes.
        let attributes = try FileManager.default.attributesOfItem(atPath: place)
        try FileManager.default.setAttributes(
            [.ownerAccountID: attributes[.ownerAccountID] as Any], ofItemAtPath: killed.path)
        try admin.execute("CREATE TABLESPACE mig_memory_killed_\(marker) LOCATION '\(killed.path)'")
        try admin.execute("CREATE DATABASE mig_shadow_killed_\(marker) TABLESPACE mig_memory_killed_\(marker)")
        try FileManager.default.removeItem(at: killed)
        _ = consume copy
        _ = consume onDisk
        server = nil
        #expect(!FileManager.default.fileExists(atPath: place))
        let next = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        #expect(
            try next.admin.execute(
                "SELECT count(*) FROM pg_tablespace WHERE spcname LIKE 'mig\\_memory\\_%'", parameters: []
            ).value(row: 0, column: 0) == "0")
        #expect(
            try next.admin.execute(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'mig\\_shadow\\_%'", parameters: []
            ).value(row: 0, column: 0) == "0")
    }

    /// A `postmaster.pid` left by a crash names a process that may now be another program (after a
    /// reboot, a system PostgreSQL of the same user): only the data directory's own server counts
    /// as running, so only it is ever stopped.
    @Test func onlyTheDataDirectorysOwnServerCountsAsItsServer() throws {
        let folder = fixture.scratch.url.appending(path: ".migrate/cache/postgres")
        let server = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), keptClusterFolder: folder, announce: {})
        let data = folder.appending(path: "data")
        let pid = try #require(PostgresPrivateCluster.pid(in: data.appending(path: "postmaster.pid").path))
        #expect(PostgresPrivateCluster.isServer(pid, of: data))
        #expect(!PostgresPrivateCluster.isServer(getpid(), of: data))
        #expect(!PostgresPrivateCluster.isServer(pid, of: fixture.scratch.url))
        withExtendedLifetime(server) {}
    }
}
