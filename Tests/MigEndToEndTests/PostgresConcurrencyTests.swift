import Foundation
import MigTestSupport
import Testing

/// Several `mig up` runs against one PostgreSQL database at once, and a run killed part-way.
@Suite(.postgres) struct PostgresConcurrencyTests {
    let scratch: ScratchDirectory
    let database: PostgresTestDatabase

    init() throws {
        scratch = try ScratchDirectory()
        database = try PostgresTestDatabase()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        try scratch.write("db/migrations/0001_log.sql", "-- mig:up\nCREATE TABLE log (version text);\n")
    }

    private func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe)
    {
        let process = Process()
        process.executableURL = MigProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["MIG_DATABASE_URL"] = database.url
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    @Test(arguments: ["advisory", "table"])
    func eightConcurrentRunsApplyEachMigrationOnce(lock: String) throws {
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n[database]\nlock = \"\(lock)\"\n")
        for number in 2...6 {
            try scratch.write(
                "db/migrations/000\(number)_step.sql",
                "-- mig:up\nINSERT INTO log VALUES ('000\(number)');\nCREATE TABLE t\(number) (id integer);\nSELECT pg_sleep(0.05);\n"
            )
        }
        let runs = try (1...8).map { _ in try start(["up"]) }
        var outputs: [String] = []
        for (process, output, errors) in runs {
            outputs.append(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(stderr)")
        }
        let applied = outputs.flatMap { $0.split(separator: "\n") }.filter { $0.hasPrefix("applied") }
        #expect(applied.count == 6)
        #expect(try database.query("SELECT count(*) || '|' || count(DISTINCT version) FROM log") == ["5|5"])
        #expect(try database.query("SELECT count(*) FROM mig_history WHERE state = 'applied'") == ["6"])
    }

    /// Killed during the kept rehearsal (one transaction for the plan) and during a plain run.
    @Test(arguments: [["up"], ["up", "--no-shadow"]])
    func aKilledRunLeavesNoHalfMigrationAndTheNextRunCompletes(arguments: [String]) throws {
        try scratch.write(
            "db/migrations/0002_long.sql",
            "-- mig:up\nCREATE TABLE big (n integer);\nINSERT INTO big SELECT generate_series(1, 1000);\nSELECT pg_sleep(60);\n"
        )
        let first = try MigProcess.run(
            ["up", "--to", "1"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        #expect(first.status == 0, "\(first.stderr)")
        let (process, _, _) = try start(arguments)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
            try database.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()"
            ) != ["1"]
        {
            usleep(50_000)
        }
        #expect(process.isRunning, "the migration should still be running")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        #expect(try database.query("SELECT version FROM mig_history") == ["0001"])
        // The server notices the dead client (client_connection_check_interval) and frees its locks, so the
        // rerun does not wait for the sleep to end.
        try scratch.write(
            "db/migrations/0002_long.sql",
            "-- mig:up\nCREATE TABLE big (n integer);\nINSERT INTO big SELECT generate_series(1, 1000);\n")
        let started = Date()
        let rerun = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(
            try database.query("SELECT string_agg(version, ',' ORDER BY version) FROM mig_history") == ["0001,0002"])
        #expect(try database.query("SELECT count(*) FROM big") == ["1000"])
    }

    /// Killed while its private cluster starts, and while a migration runs in it.
    @Test(arguments: [0.2, 3.0])
    func aKilledShadowRunLeavesNoClusterBehind(after seconds: Double) throws {
        try scratch.write("db/migrations/0002_sleep.sql", "-- mig:up\nSELECT pg_sleep(30);\n")
        // A temporary folder of this test's own, so its cluster is the only one in it.
        let temporary = scratch.url.appending(path: "tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let clusters = { try FileManager.default.contentsOfDirectory(atPath: temporary.path) }
        let (process, _, _) = try start(["shadow"], environment: ["TMPDIR": temporary.path])
        var deadline = Date().addingTimeInterval(30)
        while try clusters().isEmpty, Date() < deadline { usleep(20_000) }
        #expect(try !clusters().isEmpty)
        usleep(useconds_t(seconds * 1_000_000))
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        deadline = Date().addingTimeInterval(15)
        while try !clusters().isEmpty, Date() < deadline { usleep(100_000) }
        #expect(try clusters().isEmpty, "the watchdog stops and removes the private cluster")
    }
}
