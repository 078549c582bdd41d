import Foundation
import MigTestSupport
import Testing

/// A scratch project whose database (a SQLite file or a PostgreSQL database) another tool migrated,
/// and the steps of taking it over with `mig adopt`, the same on both engines.
struct AdoptProject {
    let scratch: ScratchDirectory
    let environment: [String: String]
    let dialect: ForeignToolFixture.Dialect
    /// Runs SQL on the database, outside mig (sqlite3 or psql), and returns the first column of each row.
    let sql: (String) throws -> [String]

    init(
        scratch: ScratchDirectory, dialect: ForeignToolFixture.Dialect, databaseURL: String,
        sql: @escaping (String) throws -> [String]
    ) throws {
        self.scratch = scratch
        environment = ["MIG_DATABASE_URL": databaseURL]
        self.dialect = dialect
        self.sql = sql
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\n" + (dialect == .postgres ? "dialect = \"postgres\"\n" : ""))
    }

    func write(_ fixture: ForeignToolFixture) throws {
        for (path, text) in fixture.files { try scratch.write("db/migrations/\(path)", text) }
        _ = try sql(fixture.setup(dialect))
    }

    func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: environment)
    }

    /// `version:state` of every migration, from `mig status --format json`.
    func states() throws -> [String] {
        let result = try mig("status", "--format", "json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (report["migrations"] as? [[String: Any]] ?? []).map { "\($0["version"]!):\($0["state"]!)" }
    }

    /// The whole adoption: `mig adopt` records the two migrations the tool applied, `mig status`
    /// shows them applied and the third pending, `mig up` applies only the third, and the tool's
    /// table is as it was.
    func adoptsAndContinues(_ fixture: ForeignToolFixture) throws {
        try write(fixture)
        let before = try sql("SELECT count(*) FROM \(fixture.table)")

        let adopt = try mig("adopt")
        #expect(adopt.status == 0, "\(fixture.tool): \(adopt.stderr)")
        #expect(adopt.stdout.contains("found \(fixture.table) (\(fixture.tool)): 2 migration(s)"), "\(adopt.stdout)")
        #expect(adopt.stdout.contains("2 matched with files here, 0 without a file"), "\(adopt.stdout)")

        let versions = fixture.versions
        #expect(
            try states() == ["\(versions[0]):applied", "\(versions[1]):applied", "\(versions[2]):pending"],
            "\(fixture.tool)")
        #expect(
            try sql("SELECT applied_by FROM mig_history ORDER BY version").allSatisfy {
                $0.hasPrefix("adopted from \(fixture.tool)")
            })

        let up = try mig("up")
        #expect(up.status == 0, "\(fixture.tool): \(up.stderr)")
        #expect(up.stdout.contains("applied \(versions[2])_comments"), "\(up.stdout)")
        #expect(!up.stdout.contains("_users"), "\(up.stdout)")
        #expect(try states().allSatisfy { $0.hasSuffix(":applied") })
        #expect(try sql("SELECT count(*) FROM comments") == ["0"])
        // The events record says what was adopted from where, and what mig applied after.
        #expect(
            try sql("SELECT event || ' ' || version || ' ' || detail FROM mig_history_events ORDER BY id") == [
                "adopted \(versions[0]) from \(fixture.tool) (\(fixture.table))",
                "adopted \(versions[1]) from \(fixture.tool) (\(fixture.table))",
            ])
        #expect(
            try sql("SELECT event || ' ' || version FROM mig_history_events WHERE detail IS NULL ORDER BY id")
                == ["applied \(versions[2])"])
        #expect(try sql("SELECT count(*) FROM \(fixture.table)") == before, "the tool's table is left untouched")
    }
}
