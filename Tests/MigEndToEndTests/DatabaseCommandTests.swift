import Foundation
import MigTestSupport
import Testing

/// `mig status`, `up`, `down`, `redo` and `shadow` run as a user runs them, on real SQLite files.
@Suite struct DatabaseCommandTests {
    let scratch: ScratchDirectory
    let environment = ["MIG_DATABASE_URL": "sqlite:db/app.db"]

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\n")
        try migration(
            "0001", "users", up: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", down: "DROP TABLE users;")
        try migration(
            "0002", "posts", up: "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
            down: "DROP TABLE posts;")
    }

    private func migration(_ version: String, _ name: String, up: String, down: String? = nil) throws {
        try scratch.write(
            "db/migrations/\(version)_\(name).sql", "-- mig:up\n\(up)\n" + (down.map { "-- mig:down\n\($0)\n" } ?? ""))
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: environment)
    }

    private func json(_ result: MigProcess.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    private func states() throws -> [String] {
        let report = try json(try mig("status", "--format", "json"))
        return (report["migrations"] as? [[String: Any]] ?? []).map { "\($0["version"]!):\($0["state"]!)" }
    }

    private func sqlite(_ sql: String, database: String = "db/app.db") throws -> String {
        try SQLiteShell.run(scratch.url.appending(path: database), sql)
    }

    /// A reader that stops after the first line (`mig up | head -1`) closes mig's output half-way:
    /// the migrations still all apply, and mig is not killed by SIGPIPE in the middle of them.
    @Test func upAppliesEverythingWhenItsReaderStopsReading() throws {
        for number in 3...80 {
            try migration(String(format: "%04d", number), "t\(number)", up: "CREATE TABLE t\(number) (id INTEGER);")
        }
        let shell = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "\"$0\" up | head -n 1; echo \"$?\"", MigProcess.binary.path],
            in: scratch.url, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        #expect(shell.status == 0)
        #expect(try sqlite("SELECT count(*) FROM mig_history;") == "80")
    }

    /// goose, dbmate and golang-migrate run a placeholder migration as a no-op and record it; so does mig.
    @Test func upRecordsAnEmptyOrCommentOnlyMigration() throws {
        try scratch.write("db/migrations/0003_placeholder.sql", "-- mig:up\n-- nothing to do yet\n\n-- mig:down\n")
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try states() == ["0001:applied", "0002:applied", "0003:applied"])
        #expect(try sqlite("SELECT version FROM mig_history ORDER BY version") == "0001\n0002\n0003")
    }

    @Test func statusUpDownRedo() throws {
        let initial = try mig("status")
        #expect(initial.status == 0, "\(initial.stderr)")
        #expect(initial.stdout.contains("0001     users  pending"))
        #expect(!scratch.exists("db/app.db"), "status never creates the database")

        let dryRun = try mig("up", "--dry-run")
        #expect(dryRun.status == 0)
        #expect(dryRun.stdout.contains("would apply 0002_posts\nCREATE TABLE posts"))
        #expect(!scratch.exists("db/app.db"))

        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 0001_users"))
        #expect(up.stdout.contains("applied 0002_posts"))
        #expect(up.stderr.contains("rehearsing 2 step(s)"))
        #expect(try states() == ["0001:applied", "0002:applied"])
        #expect(
            try sqlite("SELECT version, state, applied_by <> '', execution_ms >= 0 FROM mig_history ORDER BY version")
                == "0001|applied|1|1\n0002|applied|1|1")

        let down = try mig("down")
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("reverted 0002_posts"))
        #expect(try states() == ["0001:applied", "0002:pending"])
        #expect(try sqlite("SELECT name FROM sqlite_schema WHERE name = 'posts'") == "")

        let upTo = try mig("up", "--to", "2", "--format", "json")
        #expect(upTo.status == 0)
        #expect((try json(upTo)["steps"] as? [[String: Any]])?.count == 1)

        let redo = try mig("redo")
        #expect(redo.status == 0, "\(redo.stderr)")
        #expect(
            redo.stdout
                == "reverted 0002_posts (\(ms(redo.stdout, 0)) ms)\napplied 0002_posts (\(ms(redo.stdout, 1)) ms)\n")

        let all = try mig("down", "--to", "0")
        #expect(all.status == 0)
        #expect(try states() == ["0001:pending", "0002:pending"])
        #expect(try mig("up").stdout.isEmpty == false)
        #expect(try mig("up").stderr.contains("nothing to do"))
    }

    /// The milliseconds printed on line `line` of `output`.
    private func ms(_ output: String, _ line: Int) -> String {
        let text = output.split(separator: "\n")[line]
        return String(text[text.index(after: text.lastIndex(of: "(")!)..<text.lastIndex(of: " ")!])
    }

    @Test func aSQLiteSyntaxErrorOnPostgresSyntaxNamesTheDialect() throws {
        try migration("0003", "moods", up: "CREATE TYPE mood AS ENUM ('happy', 'sad');")
        let result = try mig("shadow")
        #expect(result.status == 1)
        #expect(result.stderr.contains("syntax error"))
        #expect(result.stderr.contains("note: the dialect is sqlite ([migrations] dialect in .migrate/config.toml), but "
            + "db/migrations/0003_moods.sql:2 uses CREATE TYPE, which only PostgreSQL has"), "\(result.stderr)")
        #expect(result.stderr.contains("set dialect = \"postgres\""))
    }

    @Test func statusExitCodeSaysWhetherEverythingIsApplied() throws {
        let pending = try mig("status", "--exit-code")
        #expect(pending.status == 1, "\(pending.stderr)")
        #expect(pending.stdout.contains("pending"))
        #expect(try mig("up").status == 0)
        let upToDate = try mig("status", "--exit-code")
        #expect(upToDate.status == 0, "\(upToDate.stderr)")
    }

    @Test func statusShowsOutOfOrderChangedAndMissing() throws {
        #expect(try mig("up").status == 0)
        try migration("0000", "early", up: "CREATE TABLE early (id INTEGER);")
        try migration("0001", "users", up: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);")
        try FileManager.default.removeItem(at: scratch.url.appending(path: "db/migrations/0002_posts.sql"))
        #expect(try states() == ["0000:out-of-order", "0001:changed", "0002:missing-file"])
        let text = try mig("status")
        #expect(text.stderr.contains("1 out-of-order, 1 missing-file, 1 changed"))
        #expect(text.status == 0)
        #expect(try mig("status", "--exit-code").status == 1)

        let refused = try mig("up")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("migration 0001_users changed since it was applied"))
        let stillRefused = try mig("up", "--allow-changed")
        #expect(stillRefused.status == 1)
        #expect(stillRefused.stderr.contains("migration 0000_early is older than a migration already applied"))
        let allowed = try mig("up", "--allow-changed", "--allow-out-of-order")
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("applied 0000_early"))
    }

    @Test func upNamesAnAppliedMigrationWhoseFileIsGone() throws {
        #expect(try mig("up").status == 0)
        try FileManager.default.removeItem(at: scratch.url.appending(path: "db/migrations/0002_posts.sql"))
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("0002_posts is applied but its files are gone"), "\(up.stderr)")
        #expect(!up.stderr.contains("up to date"))
    }

    @Test func aSyntaxErrorNamesFileAndLineAndChangesNothing() throws {
        try scratch.write(
            "db/migrations/0003_broken.sql",
            "-- the third migration\n-- mig:up\nCREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\n\nCREATE TABLE c (id INTEGER,);\n"
        )
        let result = try mig("up")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "db/migrations/0003_broken.sql:6: migration 0003_broken (up) failed: near \")\": syntax error"))
        #expect(result.stderr.contains("the database was not changed"))
        #expect(try sqlite("SELECT count(*) FROM sqlite_schema") == "0")

        let unrehearsed = try mig("up", "--no-shadow")
        #expect(unrehearsed.status == 1)
        #expect(unrehearsed.stderr.contains("db/migrations/0003_broken.sql:6:"))
        #expect(unrehearsed.stderr.contains("the database is as it was before this migration"))
        #expect(try states() == ["0001:applied", "0002:applied", "0003:pending"])
        #expect(try sqlite("SELECT name FROM sqlite_schema WHERE name IN ('a', 'b')") == "")
    }

    @Test func shadowReplaysAndFindsADownThatLeavesAColumn() throws {
        let clean = try mig("shadow", "--roundtrip")
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.hasPrefix("up   0001_users ("))
        #expect(clean.stderr.contains("every down reverts its up"))

        try migration("0003", "nick", up: "ALTER TABLE users ADD COLUMN nick TEXT;", down: "SELECT 'forgot';")
        let leaky = try mig("shadow", "--format", "json", "--keep", "kept.db")
        #expect(leaky.status == 1)
        let diagnostics = try json(leaky)["diagnostics"] as? [[String: Any]]
        #expect(diagnostics?.first?["code"] as? String == "shadow-failed")
        #expect((diagnostics?.first?["message"] as? String)?.contains("0003_nick does not fully revert") == true)
        #expect(
            try sqlite("SELECT count(*) FROM pragma_table_info('users') WHERE name = 'nick'", database: "kept.db")
                == "1")

        let noRoundtrip = try mig("shadow", "--no-roundtrip")
        #expect(noRoundtrip.status == 0)
    }

    @Test func keepNeverReplacesAFolderOrAFileItDidNotWrite() throws {
        try scratch.write("notes.md", "uncommitted work\n")
        for target in [".", "db/migrations", "notes.md"] {
            let refused = try mig("shadow", "--keep", target)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("--keep \(target):"))
        }
        #expect(scratch.exists(".migrate/config.toml"))
        #expect(scratch.exists("db/migrations/0001_users.sql"))
        #expect(try scratch.read("notes.md") == "uncommitted work\n")

        #expect(try mig("shadow", "--keep", "kept.db").status == 0)
        #expect(try mig("shadow", "--keep", "kept.db").status == 0)
        #expect(try mig("shadow", "--keep", "notes.md", "--force").status == 0)
        #expect(try sqlite("SELECT count(*) FROM sqlite_master WHERE name = 'posts'", database: "notes.md") == "1")
    }

    @Test func shadowSaysWhichPartTheRoundtripDidNotTest() throws {
        try migration("0000", "setup", up: "CREATE TABLE settings (k TEXT);")
        let partial = try mig("shadow", "--roundtrip")
        #expect(partial.status == 0, "\(partial.stderr)")
        #expect(partial.stdout.contains("down 0002_posts"))
        #expect(partial.stdout.contains("down 0001_users"))
        #expect(!partial.stdout.contains("down 0000_setup"))
        #expect(
            partial.stderr.contains(
                "roundtrip partial: 0000_setup has no down script, so the roundtrip reverted only the 2 newer migration(s)"
            ), "\(partial.stderr)")
        #expect(partial.stderr.contains("those downs revert their ups"))
    }

    @Test func aCorruptDatabaseIsRefusedUnchanged() throws {
        let file = try scratch.write("db/app.db", String(repeating: "not sqlite at all\n", count: 500))
        let before = try Data(contentsOf: file)
        for command in [["up"], ["status"], ["down"]] {
            let result = try MigProcess.run(command, in: scratch.url, environment: environment)
            #expect(result.status == 2)
            #expect(result.stderr.contains("cannot be read as a SQLite database: file is not a database"))
        }
        #expect(try Data(contentsOf: file) == before)
    }

    @Test func aReadOnlyDatabaseIsRefusedUnchanged() throws {
        #expect(try mig("up", "--to", "1").status == 0)
        try scratch.makeReadOnly("db/app.db")
        let before = try Data(contentsOf: scratch.url.appending(path: "db/app.db"))
        let result = try mig("up")
        #expect(result.status == 2)
        #expect(result.stderr.contains("db/app.db is read-only: mig cannot change it"))
        #expect(try Data(contentsOf: scratch.url.appending(path: "db/app.db")) == before)
        #expect(try states() == ["0001:applied", "0002:pending"])
    }

    @Test func aFailureUnderFormatJSONIsAnErrorDocumentOnStdout() throws {
        try migration("0003", "broken", up: "CREATE TABLE ok (id INTEGER);\nCREATE TABLE oops (;")
        let failed = try mig("up", "--format", "json", "--no-shadow")
        #expect(failed.status == 1)
        let error = try #require(try json(failed)["error"] as? [String: Any])
        #expect(error["code"] as? String == "migration-failed")
        #expect(error["file"] as? String == "db/migrations/0003_broken.sql")
        #expect(error["line"] as? Int == 3)
        #expect((error["message"] as? String)?.contains("0003_broken") == true)

        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\nbogus = 1\n")
        let misconfigured = try mig("status", "--format", "json")
        #expect(misconfigured.status == 2)
        let configuration = try #require(try json(misconfigured)["error"] as? [String: Any])
        #expect(configuration["code"] as? String == "configuration")
        #expect((configuration["file"] as? String)?.hasSuffix("/.migrate/config.toml") == true)
        #expect(configuration["line"] as? Int == 3)
    }

    @Test func theDatabaseFlagBeatsTheEnvironment() throws {
        let result = try mig("up", "--database", "sqlite:other.db")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(scratch.exists("other.db"))
        #expect(!scratch.exists("db/app.db"))
    }
}

@Suite struct ApplyRefusalTests {
    @Test func refusesToApplyWhenTheMigrationDirectoryHasErrors() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.sql", "-- mig:up\nCREATE TABLE a (id INTEGER);\n")
        try scratch.write("db/migrations/0001_b.sql", "-- mig:up\nCREATE TABLE b (id INTEGER);\n")
        let result = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[duplicate-version]"))
        #expect(result.stderr.contains("fix them before applying migrations"))
        #expect(!scratch.exists("app.db"))
    }

    @Test func saysWhereToPutTheDatabaseURL() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.sql", "-- mig:up\nCREATE TABLE a (id INTEGER);\n")
        let result = try MigProcess.run(["status"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("pass --database URL, set MIG_DATABASE_URL"))
    }
}

@Suite struct HistoryProvenanceTests {
    @Test func recordsTheHeadCommitAndTheGitUser() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.sql", "-- mig:up\nCREATE TABLE a (id INTEGER);\n")
        let git = try GitFixture.initialize(at: scratch.url)
        try git.git(["config", "user.name", "Ada Lovelace"])
        let head = try git.commit("first")
        let result = try MigProcess.run(
            ["up", "--format", "json"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"])
        #expect(result.status == 0, "\(result.stderr)")
        let status = try MigProcess.run(
            ["status", "--format", "json"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"])
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let entry = try #require((report?["migrations"] as? [[String: Any]])?.first)
        #expect(entry["gitCommit"] as? String == head)
        #expect(entry["appliedBy"] as? String == "Ada Lovelace")
    }
}
