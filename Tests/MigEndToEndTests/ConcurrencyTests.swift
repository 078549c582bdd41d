import Foundation
import MigTestSupport
import Testing

/// Several `mig up` runs at once, and a run killed part-way.
@Suite struct ConcurrencyTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_log.sql", "-- mig:up\nCREATE TABLE log (version TEXT);\n")
    }

    private func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = MigProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["MIG_DATABASE_URL"] = "sqlite:db/app.db"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    private func sqlite(_ sql: String) throws -> String {
        let result = Process()
        result.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        result.arguments = [scratch.url.appending(path: "db/app.db").path, sql]
        let output = Pipe()
        result.standardOutput = output
        try result.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        result.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func eightConcurrentRunsApplyEachMigrationOnce() throws {
        // A slow first migration, so that all eight runs start while the first one is still at work.
        try scratch.write(
            "db/migrations/0001_log.sql",
            """
            -- mig:up
            CREATE TABLE log (version TEXT);
            CREATE TABLE filler (n INTEGER);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000)
            INSERT INTO filler SELECT x FROM c;

            """)
        for number in 2...6 {
            try scratch.write(
                "db/migrations/000\(number)_step.sql",
                "-- mig:up\nINSERT INTO log VALUES ('000\(number)');\nCREATE TABLE t\(number) (id INTEGER);\n")
        }
        let runs = try (1...8).map { _ in try start(["up"]) }
        var outputs: [String] = []
        for (process, pipe) in runs {
            outputs.append(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let applied = outputs.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("applied") }
        #expect(applied.count == 6)
        #expect(try sqlite("SELECT count(*), count(DISTINCT version) FROM log") == "5|5")
        #expect(try sqlite("SELECT count(*) FROM mig_history") == "6")
    }

    @Test func aKilledRunLeavesNoHalfMigrationAndTheNextRunCompletes() throws {
        try scratch.write(
            "db/migrations/0002_long.sql",
            """
            -- mig:up
            CREATE TABLE big (n INTEGER, s TEXT);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
            INSERT INTO big SELECT x, hex(randomblob(16)) FROM c;
            CREATE INDEX big_s ON big (s);

            """)
        #expect(
            try MigProcess.run(
                ["up", "--to", "1"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:db/app.db"]
            ).status == 0)
        let (process, _) = try start(["up", "--no-shadow"])
        // The rollback journal appears with the migration's first write: kill it in the middle.
        let journal = scratch.url.appending(path: "db/app.db-journal").path
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: journal), Date() < deadline { usleep(5_000) }
        usleep(300_000)
        #expect(process.isRunning, "the migration should still be running")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try sqlite("SELECT version FROM mig_history") == "0001")
        #expect(try sqlite("SELECT count(*) FROM sqlite_schema WHERE name = 'big'") == "0")
        let rerun = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:db/app.db"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try sqlite("SELECT group_concat(version) FROM mig_history") == "0001,0002")
        #expect(try sqlite("SELECT count(*) FROM big") == "3000000")
    }
}
