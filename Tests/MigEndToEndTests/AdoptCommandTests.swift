import Foundation
import MigTestSupport
import Testing

/// `mig adopt` and `mig baseline` on real SQLite files that other tools migrated.
@Suite struct AdoptCommandTests {
    let project: AdoptProject

    init() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.url.appending(path: "app.db").path
        project = try AdoptProject(scratch: scratch, dialect: .sqlite, databaseURL: "sqlite:app.db") { sql in
            try Self.sqlite(path, sql)
        }
    }

    static func sqlite(_ path: String, _ sql: String) throws -> [String] {
        try SQLiteShell.run(URL(fileURLWithPath: path), sql).split(separator: "\n").map {
            $0.split(separator: "|").first.map(String.init) ?? ""
        }
    }


    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: project.scratch.url, environment: project.environment)
    }

    @Test(arguments: ForeignToolFixture.all.map(\.tool))
    func adoptsADatabaseTheToolMigrated(tool: String) throws {
        try project.adoptsAndContinues(try #require(ForeignToolFixture.all.first { $0.tool == tool }))
    }

    @Test func keepsTheToolsTimesAndSaysWhatItDidNotAdopt() throws {
        try project.write(.flyway)
        let adopt = try mig("adopt", "--from", "flyway")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(adopt.stderr.contains("R__views.sql"), "a repeatable is reported, not silently dropped")
        #expect(
            try project.sql(
                "SELECT version || ' ' || applied_at || ' ' || execution_ms FROM mig_history ORDER BY version")
                == ["1 2024-01-15T10:00:00.000Z 5", "1_1 2024-01-15T10:00:01.000Z 7"])
        #expect(
            try project.sql("SELECT applied_by FROM mig_history").allSatisfy {
                $0.hasPrefix("adopted from flyway (installed by alice) by ")
            })
    }

    @Test func aDirtyGolangMigrateVersionIsRecordedDirtyAndMustBeResolved() throws {
        try project.write(.golangMigrate)
        _ = try project.sql(ForeignToolFixture.golangMigrateTable(.sqlite, version: 2, dirty: true))
        let adopt = try mig("adopt")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(
            adopt.stderr.contains("000002_posts failed part-way under golang-migrate: recorded dirty"),
            "\(adopt.stderr)")
        #expect(try project.states() == ["000001:applied", "000002:dirty", "000003:pending"])

        let up = try mig("up")
        #expect(up.status != 0)
        #expect(up.stderr.contains("000002"), "\(up.stderr)")
        #expect(try project.sql("SELECT count(*) FROM sqlite_schema WHERE name = 'comments'") == ["0"])

        #expect(try mig("resolve", "000002", "--applied").status == 0)
        let resumed = try mig("up")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try project.states().allSatisfy { $0.hasSuffix(":applied") })
    }

    @Test func aVersionWithoutAFileIsReportedAndRecorded() throws {
        try project.write(.dbmate)
        _ = try project.sql("insert into \"schema_migrations\" (version) values ('20231231000000');")
        let adopt = try mig("adopt", "--from", "dbmate")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(adopt.stdout.contains("3 migration(s) applied or failed; 2 matched with files here, 1 without a file"))
        #expect(
            adopt.stderr.contains("20231231000000, which has no file in the migration directory"), "\(adopt.stderr)")
        #expect(try project.states().first == "20231231000000:missing-file")
    }

    @Test func aDryRunWritesNothingAndARepeatRefuses() throws {
        try project.write(.goose)
        let dryRun = try mig("adopt", "--dry-run", "--format", "json")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(dryRun.stdout.utf8)) as? [String: Any])
        #expect(report["dryRun"] as? Bool == true)
        #expect((report["recorded"] as? [[String: Any]])?.count == 2)
        #expect(try project.sql("SELECT count(*) FROM sqlite_schema WHERE name = 'mig_history'") == ["0"])

        #expect(try mig("adopt").status == 0)
        let again = try mig("adopt")
        #expect(again.status == 2)
        #expect(again.stderr.contains("mig's history table already has 2 row(s)"), "\(again.stderr)")
    }

    @Test func allRowsOrNone() throws {
        try project.write(.goose)
        // mig's own history table, already there, with a constraint that rejects the second row.
        _ = try project.sql(
            """
            CREATE TABLE mig_history (version TEXT NOT NULL PRIMARY KEY CHECK (version <> '00002'), name TEXT NOT NULL,
                checksum TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL, applied_by TEXT NOT NULL,
                git_commit TEXT, state TEXT NOT NULL, completed_statements TEXT NOT NULL DEFAULT '');
            """)
        let adopt = try mig("adopt")
        #expect(adopt.status == 2)
        #expect(adopt.stderr.contains("CHECK constraint failed"), "\(adopt.stderr)")
        #expect(try project.sql("SELECT count(*) FROM mig_history") == ["0"], "the first row was rolled back too")
    }

    @Test func concurrentAdoptionsRecordOnce() throws {
        try project.write(.goose)
        let runs = try (1...6).map { _ in
            let process = Process()
            process.executableURL = MigProcess.binary
            process.arguments = ["adopt"]
            process.currentDirectoryURL = project.scratch.url
            process.environment = ProcessInfo.processInfo.environment.merging(project.environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for run in runs { run.waitUntilExit() }
        // The lock is held from reading mig's history to writing it: one run adopts, the others find rows.
        #expect(runs.map(\.terminationStatus).sorted() == [0, 2, 2, 2, 2, 2])
        #expect(try project.sql("SELECT count(*) FROM mig_history") == ["2"])
    }

    @Test func severalToolsTablesNeedFrom() throws {
        try project.write(.goose)
        _ = try project.sql(ForeignToolFixture.dbmateTable(.sqlite, versions: ["1"]))
        let adopt = try mig("adopt")
        #expect(adopt.status == 2)
        #expect(adopt.stderr.contains("goose_db_version (goose), schema_migrations (dbmate)"), "\(adopt.stderr)")
        #expect(adopt.stderr.contains("--from"))
        #expect(try project.sql("SELECT count(*) FROM sqlite_schema WHERE name = 'mig_history'") == ["0"])
        #expect(try mig("adopt", "--from", "goose").status == 0)
        #expect(try project.states() == ["00001:applied", "00002:applied", "00003:pending"])
    }

    @Test func nothingToAdoptSaysWhatToDo() throws {
        try project.write(.goose)
        _ = try project.sql("DROP TABLE goose_db_version;")
        let adopt = try mig("adopt")
        #expect(adopt.status == 2)
        #expect(adopt.stderr.contains("no history table of another tool found"), "\(adopt.stderr)")
        #expect(adopt.stderr.contains("mig baseline VERSION"))
        let wrong = try mig("adopt", "--from", "golang-migrate")
        #expect(wrong.stderr.contains("there is no table schema_migrations for golang-migrate"), "\(wrong.stderr)")
    }

    // MARK: - Baseline

    @Test func baselineMarksMigrationsAppliedWithoutRunningThem() throws {
        try project.write(.goose)
        _ = try project.sql("DROP TABLE goose_db_version;")
        let dryRun = try mig("baseline", "00002", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would mark 00002_posts applied"))
        #expect(try project.sql("SELECT count(*) FROM sqlite_schema WHERE name = 'mig_history'") == ["0"])

        let baseline = try mig("baseline", "2")
        #expect(baseline.status == 0, "\(baseline.stderr)")
        #expect(baseline.stdout.contains("marked 00001_users applied\nmarked 00002_posts applied"))
        #expect(try project.states() == ["00001:applied", "00002:applied", "00003:pending"])
        #expect(try project.sql("SELECT DISTINCT applied_by LIKE 'baseline by %' FROM mig_history") == ["1"])
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 00003_comments") && !up.stdout.contains("00001"))

        let again = try mig("baseline", "3")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("3 migration(s) at or below 3 were already applied"))
    }

    @Test func baselineRefusesAMigrationRecordedDifferently() throws {
        try project.write(.goose)
        _ = try project.sql("DROP TABLE goose_db_version; DROP TABLE posts; DROP TABLE users;")
        #expect(try mig("up", "--to", "1").status == 0)
        try project.scratch.write("db/migrations/00001_users.sql", "-- +goose Up\nCREATE TABLE users (id INTEGER);\n")
        let baseline = try mig("baseline", "2")
        #expect(baseline.status == 2)
        #expect(baseline.stderr.contains("00001_users was applied from a different file"), "\(baseline.stderr)")
        #expect(try project.states() == ["00001:changed", "00002:pending", "00003:pending"])

        let none = try mig("baseline", "0")
        #expect(none.status == 2)
        #expect(none.stderr.contains("no migration in the migration directory has a version at or below 0"))
    }
}
