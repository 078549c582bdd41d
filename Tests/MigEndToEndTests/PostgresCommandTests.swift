import Foundation
import MigTestSupport
import Testing

/// `mig status`, `up`, `down`, `redo`, `resolve` and `shadow` against the PostgreSQL server that
/// `scripts/test` starts, each test on a database of its own.
@Suite(.postgres) struct PostgresCommandTests {
    let scratch: ScratchDirectory
    let database: PostgresTestDatabase
    var environment: [String: String] { ["MIG_DATABASE_URL": database.url] }

    init() throws {
        scratch = try ScratchDirectory()
        database = try PostgresTestDatabase()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        try migration(
            "0001", "users", up: "CREATE TABLE users (id serial PRIMARY KEY, email text);", down: "DROP TABLE users;")
        try migration(
            "0002", "posts", up: "CREATE TABLE posts (id serial PRIMARY KEY, user_id integer REFERENCES users (id));",
            down: "DROP TABLE posts;")
    }

    private func migration(_ version: String, _ name: String, up: String, down: String? = nil) throws {
        try scratch.write(
            "db/migrations/\(version)_\(name).sql", "-- mig:up\n\(up)\n" + (down.map { "-- mig:down\n\($0)\n" } ?? ""))
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: environment)
    }

    private func history() throws -> [String] {
        guard try exists("mig_history") else { return [] }
        return try database.query("SELECT version || ':' || state FROM mig_history ORDER BY version")
    }

    private func exists(_ table: String) throws -> Bool {
        try database.query("SELECT to_regclass('\(table)') IS NOT NULL") == ["t"]
    }

    @Test func statusUpDownRedo() throws {
        let initial = try mig("status")
        #expect(initial.status == 0, "\(initial.stderr)")
        #expect(initial.stdout.contains("0001     users  pending"))

        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 0001_users"))
        #expect(up.stdout.contains("applied 0002_posts"))
        #expect(try history() == ["0001:applied", "0002:applied"])
        #expect(try database.query("SELECT applied_by <> '' AND execution_ms >= 0 FROM mig_history LIMIT 1") == ["t"])

        let status = try mig("status", "--format", "json")
        #expect(status.stdout.contains("\"state\" : \"applied\""))
        #expect(!status.stdout.contains("pending"))

        let down = try mig("down")
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("reverted 0002_posts"))
        #expect(try !exists("posts"))
        #expect(try history() == ["0001:applied"])

        #expect(try mig("up").status == 0)
        let redo = try mig("redo")
        #expect(redo.status == 0, "\(redo.stderr)")
        #expect(redo.stdout.contains("reverted 0002_posts") && redo.stdout.contains("applied 0002_posts"))
        #expect(try history() == ["0001:applied", "0002:applied"])

        #expect(try mig("down", "--to", "0").status == 0)
        #expect(try history().isEmpty)
        #expect(try !exists("users"))
    }

    @Test func aFailingStatementLeavesNothingAndNamesFileLineAndSQLState() throws {
        try migration(
            "0003", "broken",
            up:
                "CREATE TABLE a (id integer PRIMARY KEY);\nINSERT INTO a VALUES (1);\n-- the third one fails\nINSERT INTO a VALUES\n  (1);"
        )
        for arguments in [["up"], ["up", "--no-shadow"]] {
            let result = try MigProcess.run(arguments, in: scratch.url, environment: environment)
            #expect(result.status == 1)
            #expect(result.stderr.contains("db/migrations/0003_broken.sql:5:"), "\(result.stderr)")
            #expect(result.stderr.contains("duplicate key value violates unique constraint"))
            #expect(result.stderr.contains("(23505)"))
            #expect(result.stderr.contains("Key (id)=(1) already exists"))
            #expect(try !exists("a"))
        }
        // The rehearsal stopped before anything real; without it, the migrations before the broken one applied.
        #expect(try history() == ["0001:applied", "0002:applied"])
    }

    @Test func aSyntaxErrorIsPlacedByTheServersPosition() throws {
        try migration("0003", "typo", up: "CREATE TABLE a (id integer);\n\nCREATE TABLE b (id integr);")
        let result = try mig("up")
        #expect(result.status == 1)
        #expect(result.stderr.contains("db/migrations/0003_typo.sql:4:"), "\(result.stderr)")
        #expect(result.stderr.contains("type \"integr\" does not exist (42704)"))
        #expect(try history().isEmpty)
    }

    @Test func createIndexConcurrentlyRunsInANoTransactionMigration() throws {
        try migration(
            "0003", "index",
            up:
                "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\nCREATE INDEX CONCURRENTLY posts_user ON posts (user_id);",
            down: "-- mig:no-transaction\nDROP INDEX CONCURRENTLY users_email;\nDROP INDEX CONCURRENTLY posts_user;")
        let dryRun = try mig("up", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        // The copy in the shadow runs it too, outside a transaction.
        #expect(dryRun.stderr.contains("rehearsed 3 of 3 step(s)"), "\(dryRun.stderr)")
        #expect(!dryRun.stderr.contains("not rehearsed"))
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(
            try database.query(
                "SELECT count(*) FROM pg_index WHERE indisvalid AND indexrelid::regclass::text IN ('users_email', 'posts_user')"
            ) == ["2"])
        #expect(try history().last == "0003:applied")
        #expect(try mig("down").status == 0)
        #expect(try !exists("users_email"))
    }

    @Test func aFailingNoTransactionMigrationIsDirtyAndResumesOnceFixed() throws {
        try migration(
            "0003", "outside",
            up:
                "-- mig:no-transaction\nCREATE TABLE kept (id integer);\nCREATE INDEX CONCURRENTLY kept_id ON kept (nope);\nCREATE TABLE after (id integer);"
        )
        try migration("0004", "later", up: "CREATE TABLE later (id integer);")
        // The rehearsal runs the no-transaction migration on the copy and stops there, before the database.
        let rehearsed = try mig("up")
        #expect(rehearsed.status == 1)
        #expect(rehearsed.stderr.contains("db/migrations/0003_outside.sql:4:"), "\(rehearsed.stderr)")
        #expect(rehearsed.stderr.contains("in the shadow rehearsal: the database was not changed"))
        #expect(try history().isEmpty)
        let failed = try mig("up", "--no-shadow")
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("db/migrations/0003_outside.sql:4:"), "\(failed.stderr)")
        #expect(try history() == ["0001:applied", "0002:applied", "0003:dirty"])
        #expect(try exists("kept"))
        #expect(try !exists("later"))

        let status = try mig("status")
        #expect(status.stdout.contains("0003     outside  dirty"))
        #expect(status.stderr.contains("1 of 3 statement(s) ran; `mig up` resumes at db/migrations/0003_outside.sql:4"))
        let json = try mig("status", "--format", "json")
        #expect(json.stdout.contains("`mig up` resumes at db/migrations/0003_outside.sql:4"))

        // Not fixed: it stops at the same statement again, and goes no further.
        #expect(try mig("up").status == 1)
        #expect(try !exists("later"))

        // Fixed: it resumes there (CREATE TABLE kept would fail if it ran twice) and carries on.
        try migration(
            "0003", "outside",
            up:
                "-- mig:no-transaction\nCREATE TABLE kept (id integer);\nCREATE INDEX CONCURRENTLY kept_id ON kept (id);\nCREATE TABLE after (id integer);"
        )
        let resumed = try mig("up")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try history() == ["0001:applied", "0002:applied", "0003:applied", "0004:applied"])
        #expect(try exists("after") && exists("later"))
    }

    @Test func aDirtyMigrationWithChangedEarlierStatementsBlocksUntilResolved() throws {
        try migration("0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id integer);\nSELECT nope;")
        try migration("0004", "later", up: "CREATE TABLE later (id integer);")
        #expect(try mig("up", "--no-shadow").status == 1)
        try migration(
            "0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept_renamed (id integer);\nSELECT 1;")
        let blocked = try mig("up")
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("mig resolve VERSION --applied"), "\(blocked.stderr)")
        #expect(try !exists("later"))
        #expect(try mig("status").stderr.contains("cannot be resumed"))

        #expect(try mig("resolve", "0004", "--applied").stderr.contains("not in the history table"))
        let resolved = try mig("resolve", "0003", "--applied")
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try history().last == "0003:applied")
        #expect(try mig("up").status == 0)
        #expect(try exists("later"))
    }

    @Test func aDirtyMigrationResolvedAsNotAppliedRunsAgainFromTheStart() throws {
        try migration("0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id integer);\nSELECT nope;")
        #expect(try mig("up", "--no-shadow").status == 1)
        // Repaired by hand: what ran is undone, and the migration rewritten.
        try database.query("DROP TABLE kept")
        try migration("0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id bigint);\nSELECT 1;")
        #expect(try mig("resolve", "0002", "--not-applied").stderr.contains("migration 0002 is not dirty"))
        let resolved = try mig("resolve", "0003", "--not-applied")
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try history() == ["0001:applied", "0002:applied"])
        #expect(try mig("up").status == 0)
        #expect(
            try database.query(
                "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'kept'::regclass AND attname = 'id'"
            ) == ["bigint"])
    }

    @Test func singleTransactionRefusesANoTransactionMigrationAndAppliesAllOrNothing() throws {
        try migration("0003", "index", up: "CREATE INDEX CONCURRENTLY users_email ON users (email);")
        let refused = try mig("up", "--single-transaction")
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains(
                "--single-transaction runs the whole plan in one transaction, but db/migrations/0003_index.sql runs outside a transaction"
            ), "\(refused.stderr)")
        #expect(try history().isEmpty && !exists("users"))
        try FileManager.default.removeItem(at: scratch.url.appending(path: "db/migrations/0003_index.sql"))
        try migration("0003", "broken", up: "CREATE TABLE a (id integer);\nINSERT INTO users (id) VALUES (1), (1);")
        let failed = try mig("up", "--single-transaction", "--no-shadow")
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("the whole plan was rolled back; none of its migrations was applied"), "\(failed.stderr)")
        #expect(try history().isEmpty && !exists("users"))
    }

    /// A migration behind a lock another session holds gives up after lock_timeout, is retried as
    /// configured and announced, then stops saying what happened.
    @Test func aMigrationBehindALockIsRetriedThenStops() throws {
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n[database]\nlock_timeout = \"300ms\"\nlock_retries = 1\n")
        #expect(try mig("up", "--no-shadow").status == 0)
        try migration("0003", "column", up: "ALTER TABLE users ADD COLUMN name text;")
        let holder = Process()
        holder.executableURL = URL(
            fileURLWithPath: (ProcessInfo.processInfo.environment["MIG_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin")
                + "/psql")
        holder.arguments = [
            "-X", "-q", "-d", database.url, "-c", "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20);",
        ]
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        defer { holder.terminate() }
        while try database.query("SELECT count(*) FROM pg_locks WHERE relation = 'users'::regclass AND mode = 'AccessExclusiveLock' AND granted") != ["1"] {
            usleep(50_000)
        }
        let started = Date()
        let up = try mig("up", "--no-shadow")
        let seconds = Date().timeIntervalSince(started)
        #expect(up.status == 1)
        #expect(up.stderr.contains("0003_column was rolled back: canceling statement due to lock timeout (55P03); retry 1 of 1"), "\(up.stderr)")
        #expect(up.stderr.contains("its lock was not granted within [database] lock_timeout on any of 2 attempt(s)"))
        #expect(up.stderr.contains("nothing of this migration was applied"))
        #expect(seconds < 10, "\(seconds) s")
        #expect(try history() == ["0001:applied", "0002:applied"])
    }

    @Test func aDryRunRehearsesAndChangesNothing() throws {
        let dryRun = try mig("up", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would apply 0001_users\nCREATE TABLE users"))
        #expect(dryRun.stderr.contains("rehearsed 2 of 2 step(s)"))
        #expect(try !exists("users"))
        #expect(try !exists("mig_history"))

        try migration("0003", "broken", up: "ALTER TABLE users ADD COLUMN email text;")
        let failing = try mig("up", "--dry-run")
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("db/migrations/0003_broken.sql:2:"))
        #expect(failing.stderr.contains("already exists (42701)"))
        #expect(try !exists("users"))
    }

    /// What one migration sets for its session (`search_path`, `role`, timeouts, temporary tables)
    /// does not reach the next one in the same run: the result does not depend on how deploys are batched.
    @Test(arguments: [["up"], ["up", "--no-shadow"]])
    func eachMigrationStartsFromTheSessionMigConnectedWith(arguments: [String]) throws {
        try migration(
            "0003", "elsewhere",
            up:
                "CREATE SCHEMA other;\nSET search_path = other;\nSET lock_timeout = 0;\nCREATE TABLE in_other (id integer);\n"
                + "CREATE TEMPORARY TABLE scratch (id integer);")
        try migration(
            "0004", "outside",
            up:
                "-- mig:no-transaction\nSET search_path = other, public;\nCREATE INDEX CONCURRENTLY in_other_id ON in_other (id);"
        )
        try migration(
            "0005", "here",
            up: """
                CREATE TABLE lands_here (id integer);
                DO $$ BEGIN
                    IF current_setting('lock_timeout') <> '5s' THEN RAISE EXCEPTION 'lock_timeout is %', current_setting('lock_timeout'); END IF;
                    IF to_regclass('pg_temp.scratch') IS NOT NULL THEN RAISE EXCEPTION 'the temporary table is still there'; END IF;
                END $$;
                """)
        let up = try MigProcess.run(arguments, in: scratch.url, environment: environment)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try database.query("SELECT to_regclass('public.lands_here') IS NOT NULL") == ["t"])
        #expect(try database.query("SELECT to_regclass('other.in_other') IS NOT NULL") == ["t"])
        #expect(try history() == ["0001:applied", "0002:applied", "0003:applied", "0004:applied", "0005:applied"])
    }

    /// A history row written by an older file name (`1`) and one by the current (`0001`): both are the
    /// same version, so reverting it removes both, and recording it keeps one row under the file's spelling.
    @Test func everySpellingOfAVersionIsOneRow() throws {
        #expect(try mig("up", "--to", "1").status == 0)
        try database.query(
            "INSERT INTO mig_history SELECT '1', name, checksum, applied_at, execution_ms, applied_by, git_commit, state, completed_statements FROM mig_history"
        )
        let down = try mig("down")
        #expect(down.status == 0, "\(down.stderr)")
        #expect(try history().isEmpty)
        #expect(try mig("status").stdout.contains("0001     users  pending"))

        #expect(try mig("up", "--to", "1").status == 0)
        try database.query("UPDATE mig_history SET version = '1', state = 'dirty'")
        let resolved = try mig("resolve", "0001", "--applied")
        #expect(resolved.status == 0, "\(resolved.stderr)")
        #expect(try history() == ["0001:applied"])
    }

    @Test func noticesAreShown() throws {
        try migration("0003", "notice", up: "DO $$ BEGIN RAISE NOTICE 'backfilled % rows', 7; END $$;")
        let up = try mig("up", "--no-shadow")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("NOTICE: backfilled 7 rows"))
    }

    @Test func aWrongPasswordIsAClearErrorWithoutThePassword() throws {
        let url = try PostgresTestServer.url(database: database.name, password: "Wr0ng-Pa55word")
        let result = try MigProcess.run(["status"], in: scratch.url, environment: ["MIG_DATABASE_URL": url])
        #expect(result.status == 2)
        #expect(result.stderr.contains("password authentication failed for user \"mig_test\""), "\(result.stderr)")
        #expect(!result.stderr.contains("Wr0ng-Pa55word") && !result.stdout.contains("Wr0ng-Pa55word"))
        let real = try PostgresTestServer.password()
        #expect(!result.stderr.contains(real))
    }

    @Test func aServerThatDoesNotAnswerFailsWithinTheConnectTimeout() throws {
        let silent = try SilentServer()
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n[database]\nconnect_timeout = 2\n")
        let url = "postgres://u:secret@127.0.0.1:\(silent.port)/app?sslmode=disable"
        let start = Date()
        let result = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": url])
        let elapsed = Date().timeIntervalSince(start)
        #expect(result.status == 2)
        #expect(elapsed >= 1.5 && elapsed < 8)
        #expect(result.stderr.contains("cannot connect to postgres://u:***@127.0.0.1:"), "\(result.stderr)")
        #expect(result.stderr.contains("timeout expired"))
        #expect(!result.stderr.contains("secret"))
    }

    @Test func anUnreachableHostFailsWithAClearError() throws {
        // Nothing listens on port 1: refused at once.
        let result = try MigProcess.run(
            ["status"], in: scratch.url, environment: ["MIG_DATABASE_URL": "postgres://u:secret@127.0.0.1:1/app"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Connection refused"), "\(result.stderr)")
        #expect(!result.stderr.contains("secret"))
    }

    @Test func theShadowRunsInAPrivateClusterWithRoundtrip() throws {
        try migration("0003", "leaky", up: "ALTER TABLE users ADD COLUMN name text;", down: "SELECT 1;")
        let result = try mig("shadow")
        #expect(result.status == 1)
        #expect(result.stdout.contains("up   0001_users"))
        #expect(
            result.stderr.contains("the down script of 0003_leaky does not fully revert its up"), "\(result.stderr)")
        #expect(result.stderr.contains("+     column name text"))
    }

    @Test func theShadowUsesAGivenServerAndDropsItsDatabases() throws {
        let shadows = { Set(try database.query("SELECT datname FROM pg_database WHERE datname LIKE 'mig_shadow_%'")) }
        let before = try shadows()
        let result = try mig("shadow", "--shadow-url", try PostgresTestServer.url(database: "postgres"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("every down reverts its up"))
        // Other tests use the same server for their shadows at the same time: what this run made
        // is gone when every shadow that appeared meanwhile goes, theirs within their own run.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        var left = try shadows().subtracting(before)
        while !left.isEmpty, clock.now < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            left = try shadows().subtracting(before)
        }
        #expect(left.isEmpty, "shadow databases left behind: \(left)")
    }
}
