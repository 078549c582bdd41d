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

    private func configure(_ database: String = "") throws {
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n[database]\n\(database)")
    }

    /// Waits for every run and returns each one's exit status, stdout and stderr.
    private func finish(_ runs: [(Process, Pipe, Pipe)]) -> [(status: Int32, stdout: String, stderr: String)] {
        runs.map { process, output, errors in
            let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }
    }

    /// `CREATE INDEX CONCURRENTLY` waits for every transaction in the database: deployers waiting for
    /// the lock must not wait inside one, or the index and the waiters deadlock.
    @Test(arguments: ["advisory", "table"])
    func concurrentRunsAndCreateIndexConcurrentlyAllSucceed(lock: String) throws {
        try configure("lock = \"\(lock)\"\n")
        try scratch.write(
            "db/migrations/0002_items.sql",
            "-- mig:up\nCREATE TABLE items (id integer);\nINSERT INTO items SELECT generate_series(1, 10000);\n")
        try scratch.write(
            "db/migrations/0003_index.sql",
            "-- mig:up\n-- mig:no-transaction\nINSERT INTO log VALUES ('0003');\nCREATE INDEX CONCURRENTLY items_id ON items (id);\n"
        )
        try scratch.write("db/migrations/0004_after.sql", "-- mig:up\nINSERT INTO log VALUES ('0004');\n")
        let results = finish(try (1...8).map { _ in try start(["up"]) })
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let applied = results.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.hasPrefix("applied") }
        #expect(applied.count == 4, "\(applied)")
        #expect(try database.query("SELECT string_agg(version, ',' ORDER BY version) FROM log") == ["0003,0004"])
        #expect(
            try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                == ["0001:applied,0002:applied,0003:applied,0004:applied"])
        #expect(
            try database.query(
                "SELECT string_agg(indexrelid::regclass::text || ':' || indisvalid, ',') FROM pg_index WHERE indrelid = 'items'::regclass"
            ) == ["items_id:true"])
    }

    /// A run that cannot get the lock within `lock_wait` gives up and says who holds it.
    @Test(arguments: ["advisory", "table"])
    func aWaiterGivesUpAfterLockWaitAndNamesTheHolder(lock: String) throws {
        try configure("lock = \"\(lock)\"\nlock_wait = \"1s\"\n")
        try scratch.write("db/migrations/0002_slow.sql", "-- mig:up\nSELECT pg_sleep(6);\n")
        let holder = try start(["up", "--no-shadow"])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline,
            try database.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(6)%' AND pid <> pg_backend_pid()"
            ) != ["1"]
        {
            usleep(50_000)
        }
        let started = Date()
        let waiter = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        let waited = Date().timeIntervalSince(started)
        #expect(waiter.status != 0)
        #expect(waited >= 0.9 && waited < 5, "\(waited)")
        let expected = lock == "advisory" ? "application mig" : "mig_history_lock"
        #expect(waiter.stderr.contains("another run holds the migration"), "\(waiter.stderr)")
        #expect(waiter.stderr.contains(expected), "\(waiter.stderr)")
        #expect(waiter.stderr.contains("lock_wait"), "\(waiter.stderr)")
        let held = finish([holder])
        #expect(held[0].status == 0, "\(held[0].stderr)")
    }

    /// `lock = "table"`: a migration that runs longer than the lease keeps it (a second connection
    /// renews it), so a concurrent run neither takes it over nor fails on `lock_timeout`; it waits.
    @Test func aLeaseOutlivesAMigrationLongerThanItself() throws {
        try configure("lock = \"table\"\nlock_lease = \"1s\"\nlock_timeout = \"500ms\"\n")
        try scratch.write(
            "db/migrations/0002_long.sql", "-- mig:up\nINSERT INTO log VALUES ('0002');\nSELECT pg_sleep(4);\n")
        try scratch.write("db/migrations/0003_after.sql", "-- mig:up\nINSERT INTO log VALUES ('0003');\n")
        let results = finish(try (1...3).map { _ in try start(["up"]) })
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        #expect(try database.query("SELECT string_agg(version, ',' ORDER BY version) FROM log") == ["0002,0003"])
        #expect(try database.query("SELECT count(*) FROM mig_history_lock") == ["0"])
    }

    /// A crashed run's lease (its row is left behind) is taken over once it expires, and not before.
    @Test func anExpiredLeaseOfACrashedRunIsTakenOver() throws {
        try configure("lock = \"table\"\nlock_wait = \"20s\"\n")
        try database.query(
            """
            CREATE TABLE mig_history_lock (id integer PRIMARY KEY CHECK (id = 1), holder text NOT NULL, expires_at timestamptz NOT NULL);
            INSERT INTO mig_history_lock VALUES (1, 'crashed-host:1:dead', clock_timestamp() + interval '2 seconds');
            """)
        // Without the rehearsal, whose shadow cluster takes seconds on a loaded machine: the wait is what counts.
        let started = Date()
        let up = try MigProcess.run(
            ["up", "--no-shadow"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        let waited = Date().timeIntervalSince(started)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(waited >= 1.5 && waited < 10, "\(waited)")
        #expect(try database.query("SELECT version FROM mig_history") == ["0001"])

        try scratch.write("db/migrations/0002_next.sql", "-- mig:up\nINSERT INTO log VALUES ('0002');\n")
        try database.query(
            "INSERT INTO mig_history_lock VALUES (1, 'crashed-host:1:dead', clock_timestamp() - interval '1 second')")
        let immediate = Date()
        #expect(
            try MigProcess.run(["up", "--no-shadow"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
                .status == 0)
        #expect(Date().timeIntervalSince(immediate) < 5)
        #expect(try database.query("SELECT count(*) FROM mig_history") == ["2"])
    }

    /// A run whose lease was taken over (here the migration itself hands it to another holder)
    /// stops before it records the migration, so two runs never both write history.
    @Test func aRunThatLostItsLeaseRecordsNothing() throws {
        try configure("lock = \"table\"\n")
        try scratch.write(
            "db/migrations/0002_handover.sql", "-- mig:up\nUPDATE mig_history_lock SET holder = 'other-host:1:x';\n")
        let up = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        #expect(up.status != 0)
        #expect(up.stderr.contains(#"lost its migration lease in "public"."mig_history_lock""#), "\(up.stderr)")
        // 0002's transaction is rolled back; 0001, committed in a transaction of its own before it, stays.
        #expect(try database.query("SELECT string_agg(version, ',') FROM mig_history") == ["0001"])
        #expect(try database.query("SELECT count(*) FROM mig_history_lock WHERE holder = 'other-host:1:x'") == ["0"])
    }

    /// Killed during a plan applied in one transaction and during a run of one transaction per migration.
    @Test(arguments: [["up", "--no-shadow", "--single-transaction"], ["up", "--no-shadow"]])
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

    /// `kill -9` at seeded random moments of `up` (with the rehearsal, and `--no-shadow`), 20 rounds on a plan
    /// with transactional and no-transaction migrations: after each kill every transactional migration is
    /// wholly there exactly when its history row is, a no-transaction one has run at most one statement
    /// more than its row lists, and a rerun completes promptly with everything applied once.
    @Test func killedAtRandomMomentsEveryMigrationIsBeforeOrAfterAndARerunCompletes() throws {
        try scratch.write(
            "db/migrations/0002_rows.sql",
            "-- mig:up\nCREATE TABLE a (id integer PRIMARY KEY);\nINSERT INTO a SELECT generate_series(1, 5000);\nSELECT pg_sleep(0.05);\n"
        )
        try scratch.write(
            "db/migrations/0003_column.sql",
            "-- mig:up\nALTER TABLE a ADD COLUMN b integer;\nUPDATE a SET b = id;\nSELECT pg_sleep(0.05);\n")
        try scratch.write(
            "db/migrations/0004_outside.sql",
            """
            -- mig:up
            -- mig:no-transaction
            CREATE TABLE IF NOT EXISTS n1 (id integer PRIMARY KEY);
            INSERT INTO n1 SELECT generate_series(1, 5000) ON CONFLICT DO NOTHING;
            SELECT pg_sleep(0.05);
            CREATE TABLE IF NOT EXISTS n2 (id integer);

            """)
        try scratch.write(
            "db/migrations/0005_copy.sql", "-- mig:up\nCREATE TABLE c AS SELECT * FROM a;\nSELECT pg_sleep(0.05);\n")
        // How long a whole run takes here and now, per mode, so the moments spread over the run even on
        // a loaded machine.
        var durations: [Bool: Double] = [:]
        for rehearsing in [true, false] {
            let database = try PostgresTestDatabase()
            let started = Date()
            let run = try MigProcess.run(
                rehearsing ? ["up"] : ["up", "--no-shadow"], in: scratch.url,
                environment: ["MIG_DATABASE_URL": database.url])
            #expect(run.status == 0, "\(run.stderr)")
            durations[rehearsing] = Date().timeIntervalSince(started)
        }
        var random = SeededRandom(seed: 20_261_202)
        var interrupted = 0
        for round in 0..<20 {
            let database = try PostgresTestDatabase()
            let rehearsing = round.isMultiple(of: 2)
            let arguments = rehearsing ? ["up"] : ["up", "--no-shadow"]
            let process = Process()
            process.executableURL = MigProcess.binary
            process.arguments = arguments
            process.currentDirectoryURL = scratch.url
            process.environment = ProcessInfo.processInfo.environment.merging(
                ["MIG_DATABASE_URL": database.url, "NO_COLOR": "1"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // With the rehearsal, most of the run happens on the copy: every other such round waits for
            // the real apply to begin (the history table appears), so that kills land there as well as in
            // the rehearsal.
            if rehearsing, round.isMultiple(of: 4) {
                let deadline = Date().addingTimeInterval(60)
                while process.isRunning, Date() < deadline,
                    try database.query("SELECT to_regclass('mig_history') IS NULL") == ["t"]
                {
                    usleep(10_000)
                }
                usleep(useconds_t(random.next(upperBound: UInt64(durations[false]! * 1_000_000))))
            } else {
                usleep(useconds_t(random.next(upperBound: UInt64(durations[rehearsing]! * 1_000_000))))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let relations = Set(
                try database.query(
                    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"))
            let hasColumn =
                try database.query(
                    "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass('public.a') AND attname = 'b'") == [
                    "1"
                ]
            let rows =
                relations.contains("mig_history")
                ? try database.query(
                    "SELECT version || ':' || state || ':' || cardinality(completed_statements) FROM mig_history")
                : []
            var history: [String: (state: String, done: Int)] = [:]
            for row in rows {
                let fields = row.split(separator: ":").map(String.init)
                history[fields[0]] = (fields[1], Int(fields[2]) ?? 0)
            }
            let applied = { (version: String) in history[version]?.state == "applied" }
            let context =
                "round \(round) (\(arguments.joined(separator: " "))): history \(rows), tables \(relations.sorted())"
            #expect(applied("0001") == relations.contains("log"), "\(context)")
            #expect(applied("0002") == relations.contains("a"), "\(context)")
            #expect(applied("0003") == hasColumn, "\(context)")
            #expect(applied("0005") == relations.contains("c"), "\(context)")
            let outside = history["0004"]
            let done = outside?.state == "applied" ? 4 : (outside?.done ?? -1)
            // A statement can have run without its row being updated yet: at most one more than listed.
            #expect(relations.contains("n1") ? done >= 0 : done < 1, "\(context)")
            #expect(relations.contains("n2") ? done >= 3 : done < 4, "\(context)")
            #expect(
                history.keys.sorted() == Array(["0001", "0002", "0003", "0004", "0005"].prefix(history.count)),
                "\(context)")

            // The rerun rehearses on a copy (a shadow cluster that takes seconds to start on a loaded
            // machine), then waits for nothing the killed run left.
            let started = Date()
            let rerun = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
            #expect(rerun.status == 0, "\(context): \(rerun.stderr)")
            #expect(Date().timeIntervalSince(started) < 40, "\(context)")
            #expect(
                try database.query(
                    "SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                    == ["0001:applied,0002:applied,0003:applied,0004:applied,0005:applied"], "\(context)")
            #expect(
                try database.query(
                    "SELECT (SELECT count(*) FROM a WHERE b = id) || ' ' || (SELECT count(*) FROM c) || ' ' || (SELECT count(*) FROM n1) || ' ' || (SELECT count(*) FROM n2)"
                ) == ["5000 5000 5000 0"], "\(context)")
            if !rows.isEmpty && rows.count < 5 || outside?.state == "dirty" { interrupted += 1 }
        }
        // The moments are spread over the run: many rounds stop it part-way.
        #expect(interrupted >= 4, "only \(interrupted) of 20 rounds were killed part-way")
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

    /// Killed while its rehearsal runs in the kept cluster, on a copy in the tablespace in memory that
    /// goes with the run: the watchdog stops the cluster cleanly, so the next run starts it again,
    /// snapshots and all, instead of making it anew, and drops what the killed run left.
    @Test func aRunKilledDuringItsRehearsalLeavesTheKeptClusterUsable() throws {
        guard Self.memoryIsUsable() else { return }
        let shadow = try MigProcess.run(["shadow"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        try #require(shadow.status == 0, "\(shadow.stderr)")
        let data = scratch.url.appending(path: ".migrate/cache/postgres/data")
        let tablespaces = data.appending(path: "pg_tblspc").path
        let madeAt = try FileManager.default.attributesOfItem(atPath: data.path)[.systemFileNumber] as? Int
        try scratch.write("db/migrations/0002_sleep.sql", "-- mig:up\nSELECT pg_sleep(30);\n")
        let (process, _, _) = try start(["up", "--dry-run"])
        var deadline = Date().addingTimeInterval(30)
        while try FileManager.default.contentsOfDirectory(atPath: tablespaces).isEmpty, Date() < deadline {
            usleep(20_000)
        }
        let link = try #require(try FileManager.default.contentsOfDirectory(atPath: tablespaces).first)
        let memory = try FileManager.default.destinationOfSymbolicLink(atPath: "\(tablespaces)/\(link)")
        #expect(memory.hasPrefix("/dev/shm/mig-shadow-"))
        usleep(1_000_000)
        #expect(process.isRunning)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The watchdog stops the server, then removes the run's folder, and ends, which frees the lock.
        deadline = Date().addingTimeInterval(30)
        while FileManager.default.fileExists(atPath: memory), Date() < deadline { usleep(100_000) }
        usleep(500_000)
        #expect(!FileManager.default.fileExists(atPath: data.appending(path: "postmaster.pid").path))
        try scratch.write("db/migrations/0002_sleep.sql", "-- mig:up\nSELECT 1;\n")
        let next = try MigProcess.run(
            ["up", "--dry-run"], in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: data.path)[.systemFileNumber] as? Int == madeAt)
        #expect(!next.stderr.contains("throw-away"), "\(next.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tablespaces).isEmpty, "\(next.stderr)")
    }

    /// Whether mig puts shadow databases in memory here: `/dev/shm` a memory file system with a GiB
    /// free, and no `TMPDIR`.
    private static func memoryIsUsable() -> Bool {
        var status = statvfs()
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        return ProcessInfo.processInfo.environment["TMPDIR"] == nil && mounts.contains(" /dev/shm tmpfs ")
            && statvfs("/dev/shm", &status) == 0 && UInt64(status.f_bavail) * UInt64(status.f_frsize) >= 1 << 30
    }
}
