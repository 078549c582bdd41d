import Foundation
import MigTestSupport
import Testing

/// `mig shadow` on PostgreSQL keeps its private cluster, and the template databases in it, under
/// `.migrate/cache/postgres`: the next run restores from them; runs at the same time stay correct.
@Suite(.postgres) struct PostgresShadowCacheCommandTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        for number in 1...5 {
            try scratch.write(
                "db/migrations/000\(number)_t\(number).sql",
                "-- mig:up\nCREATE TABLE t\(number) (id serial PRIMARY KEY);\n-- mig:down\nDROP TABLE t\(number);\n")
        }
    }

    private func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = MigProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func theNextRunRestoresFromTheKeptClusterAndNoCacheReplaysAll() throws {
        let first = try MigProcess.run(["shadow", "--roundtrip"], in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stderr.contains("restored"))
        #expect(FileManager.default.fileExists(atPath: scratch.url.appending(path: ".migrate/cache/postgres/data").path))
        try scratch.write(
            "db/migrations/0006_t6.sql", "-- mig:up\nCREATE TABLE t6 (id serial PRIMARY KEY);\n-- mig:down\nDROP TABLE t6;\n")
        let second = try MigProcess.run(["shadow", "--roundtrip"], in: scratch.url)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("restored the first 5 migration(s) from a snapshot"), "\(second.stderr)")
        let cold = try MigProcess.run(["shadow", "--no-cache"], in: scratch.url)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(!cold.stderr.contains("restored"))
        // The cache is safe to delete.
        try FileManager.default.removeItem(at: scratch.url.appending(path: ".migrate/cache"))
        let again = try MigProcess.run(["shadow"], in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("restored"))
        // The same migrations again, with nothing asked of the database: nothing runs.
        let same = try MigProcess.run(["shadow", "--no-roundtrip"], in: scratch.url)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stderr.contains("the replay of these 6 migration(s) passed before"), "\(same.stderr)")
    }

    @Test func upRehearsesInTheKeptClusterThatTheNextRunStartsAgain() throws {
        let database = try PostgresTestDatabase()
        let environment = ["MIG_DATABASE_URL": database.url]
        let first = try MigProcess.run(["up"], in: scratch.url, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("rehearsing 5 step(s)"), "\(first.stderr)")
        let kept = scratch.url.appending(path: ".migrate/cache/postgres/data/PG_VERSION")
        #expect(FileManager.default.fileExists(atPath: kept.path))
        try scratch.write(
            "db/migrations/0006_t6.sql", "-- mig:up\nCREATE TABLE t6 (id serial PRIMARY KEY);\n-- mig:down\nDROP TABLE t6;\n")
        let second = try MigProcess.run(["up"], in: scratch.url, environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("throw-away"), "\(second.stderr)")
        #expect(try database.query("SELECT count(*) FROM mig_history") == ["6"])
        // `mig shadow` finds the cluster as `up` left it.
        let shadow = try MigProcess.run(["shadow"], in: scratch.url)
        #expect(shadow.status == 0, "\(shadow.stderr)")
        #expect(!shadow.stderr.contains("throw-away"), "\(shadow.stderr)")
    }

    @Test func runsAtTheSameTimeAllSucceedAndOneSaysItsClusterIsThrowAway() throws {
        let others = try (0..<2).map { _ in try start(["shadow", "--roundtrip"]) }
        let one = try MigProcess.run(["shadow", "--roundtrip"], in: scratch.url)
        for process in others { process.waitUntilExit() }
        #expect(one.status == 0, "\(one.stderr)")
        #expect(others.allSatisfy { $0.terminationStatus == 0 })
        // Afterwards the kept cluster is free again and holds the snapshots one of them kept.
        let after = try MigProcess.run(["shadow", "--roundtrip"], in: scratch.url)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.stderr.contains("restored the first 5 migration(s)"), "\(after.stderr)")
        #expect(!after.stderr.contains("another mig run"))
    }
}
