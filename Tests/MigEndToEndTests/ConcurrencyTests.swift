import Foundation
import MigTestSupport
import Testing

/// Several `mig up` runs at once, and runs killed part-way.
@Suite struct ConcurrencyTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_log.sql", "-- mig:up\nCREATE TABLE log (version TEXT);\n")
    }

    private func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = MigProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["MIG_DATABASE_URL"] = "sqlite:db/app.db"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    private func sqlite(_ sql: String) throws -> String {
        try SQLiteShell.run(scratch.url.appending(path: "db/app.db"), sql)
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

    /// Fault injection: `kill -9` at seeded random moments of `mig up` over a transactional migration,
    /// a no-transaction one and a table rebuild. After each kill the database must be the state
    /// before or after each migration (a no-transaction migration: after exactly the statements its
    /// dirty row lists), the history must agree, and a rerun must complete.
    @Test func killedAtRandomMomentsTheDatabaseIsAlwaysABeforeOrAfterState() throws {
        let rebuild = """
            PRAGMA foreign_keys = OFF;
            CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', rank INTEGER DEFAULT 0);
            INSERT INTO parent_new (id, name) SELECT id, name FROM parent;
            DROP TABLE parent;
            ALTER TABLE parent_new RENAME TO parent;
            CREATE INDEX child_parent ON child (parent_id);
            PRAGMA foreign_keys = ON;
            """
        let steps = [
            "CREATE TABLE log (n INTEGER);", "INSERT INTO log SELECT id FROM parent;",
            "CREATE INDEX log_n ON log (n);", "UPDATE log SET n = n + 1;",
        ]
        let tables = """
            CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE);
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
            INSERT INTO parent SELECT x, 'parent ' || x FROM c;
            INSERT INTO child SELECT id, id FROM parent;
            """
        try scratch.write("db/migrations/0001_log.sql", "-- mig:up\n\(tables)\n")
        try scratch.write(
            "db/migrations/0002_log.sql", "-- mig:up\n-- mig:no-transaction\n\(steps.joined(separator: "\n"))\n")
        try scratch.write("db/migrations/0003_rebuild.sql", "-- mig:up\n\(rebuild)\n")

        // The states a database may be in, from the sqlite3 shell: none, 0001, each statement of 0002, 0003.
        let reference = scratch.url.appending(path: "reference.db")
        var states = [try SQLiteShell.fingerprint(reference)]
        for script in [tables] + steps + [rebuild] {
            try SQLiteShell.run(reference, script)
            states.append(try SQLiteShell.fingerprint(reference))
        }
        #expect(Set(states).count == states.count, "every step changes the database")

        let database = scratch.url.appending(path: "db/app.db")
        let temporary = try scratch.write("tmp/.keep", "").deletingLastPathComponent()
        let environment = ["MIG_DATABASE_URL": "sqlite:db/app.db", "TMPDIR": temporary.path]
        let clock = ContinuousClock()
        let started = clock.now
        #expect(try MigProcess.run(["up"], in: scratch.url, environment: environment).status == 0)
        let whole = clock.now - started
        #expect(try SQLiteShell.fingerprint(database) == states.last)

        var random = SeededRandom(seed: 20_261_202)
        var outcomes: [String] = []
        for round in 1...20 {
            try FileManager.default.removeItem(at: database)
            let (process, _) = try start(["up"], environment: ["TMPDIR": temporary.path])
            // Most kills after the rehearsal (about the first half), where the real database changes.
            let fraction = Double.random(in: 0.2...1.05, using: &random)
            let microseconds = whole.components.seconds * 1_000_000 + whole.components.attoseconds / 1_000_000_000_000
            usleep(UInt32(fraction * Double(microseconds)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            // A run killed before it created its history table leaves none.
            let hasHistory = try SQLiteShell.run(
                database, "SELECT count(*) FROM sqlite_schema WHERE name = 'mig_history';") == "1"
            let history =
                hasHistory
                ? try SQLiteShell.run(
                    database,
                    "SELECT version || ':' || state || ':' || completed_statements FROM mig_history ORDER BY version;"
                ).split(separator: "\n").map(String.init) : []
            let fingerprint = try SQLiteShell.fingerprint(database)
            let allowed = Self.allowedStates(history: history, statements: steps.count)
            let found = states.firstIndex(of: fingerprint).map(String.init) ?? "none of them"
            #expect(
                allowed.map { states[$0] }.contains(fingerprint),
                "round \(round): history \(history) allows states \(allowed), found \(found)")
            outcomes.append(history.last ?? "empty")

            let rerun = try MigProcess.run(["up"], in: scratch.url, environment: environment)
            #expect(rerun.status == 0, "round \(round): \(rerun.stderr)")
            #expect(try SQLiteShell.fingerprint(database) == states.last, "round \(round)")
            #expect(
                try SQLiteShell.run(database, "SELECT group_concat(version || state) FROM mig_history")
                    == "0001applied,0002applied,0003applied")
        }
        #expect(Set(outcomes).count >= 2, "the kills should land at different points: \(outcomes)")
    }

    /// The indexes of the reference states a database with this history may be in.
    private static func allowedStates(history: [String], statements: Int) -> [Int] {
        switch history.count {
        case 0: return [0]
        case 1: return [1]
        case 2:
            let parts = history[1].split(separator: ":", omittingEmptySubsequences: false)
            guard parts[1] == "dirty" else { return [1 + statements] }
            let done = parts[2].isEmpty ? 0 : parts[2].split(separator: ",").count
            return [1 + done]
        default: return [2 + statements]
        }
    }
}
