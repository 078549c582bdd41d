import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// A migration's history row and event go out with its `COMMIT` (and the session reset just before
/// it), so that a migration costs two round trips: what fails there must still roll the migration
/// back and say so, and what a migration set for its session must not change how mig's rows or the
/// next migration are read.
@Suite(.postgres) struct PostgresBookkeepingTests {
    let fixture: MigrationFixture
    let database: PostgresTestDatabase

    init() throws {
        fixture = try MigrationFixture()
        database = try PostgresTestDatabase()
        try fixture.add("0001", "first", up: "CREATE TABLE first (id integer);")
    }

    private func run() throws -> RunReport {
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        return try MigrationRunner(driver: driver, catalog: try fixture.catalog(), context: fixture.context)
            .run(.init(rehearse: false)) { try $0.upPlan() }
    }

    private func history() throws -> [String] {
        try database.query("SELECT version || ':' || state FROM mig_history ORDER BY version")
    }

    private func events() throws -> [String] {
        try database.query("SELECT version || ':' || event FROM mig_history_events ORDER BY id")
    }

    @Test func aStatementFailingInTheMiddleNamesItsLineAndLeavesTheMigrationUnapplied() throws {
        try fixture.add(
            "0002", "broken",
            up: "CREATE TABLE a (id integer);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);\nCREATE TABLE b (id integer);")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.location == .init(path: "db/migrations/0002_broken.sql", line: 4))
        #expect(failure.consequence == .rolledBack)
        #expect(failure.message.contains("nowhere"))
        #expect(try database.query("SELECT to_regclass('a') IS NULL, to_regclass('b') IS NULL") == ["t|t"])
        #expect(try history() == ["0001:applied"])
        #expect(try events() == ["0001:applied"])
        // Fixed, it applies on the same kind of session.
        try fixture.add("0002", "broken", up: "CREATE TABLE a (id integer);\nINSERT INTO a VALUES (1);")
        #expect(try run().completed.count == 1)
        #expect(try history() == ["0001:applied", "0002:applied"])
        #expect(try events() == ["0001:applied", "0002:applied"])
    }

    @Test func aHistoryRowTheDatabaseRefusesAtCommitRollsTheMigrationBack() throws {
        // The migration's own statements succeed; its history row, sent with the COMMIT, breaks the
        // constraint the migration added, so nothing of it may stay.
        try fixture.add(
            "0002", "refused",
            up: "CREATE TABLE second (id integer);\nALTER TABLE mig_history ADD CONSTRAINT no_0002 CHECK (version <> '0002');")
        try fixture.add("0003", "later", up: "CREATE TABLE later (id integer);")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.migration == "0002_refused")
        #expect(failure.consequence == .rolledBack)
        #expect(failure.message.contains("no_0002"), "\(failure.message)")
        #expect(try database.query("SELECT to_regclass('second') IS NULL, to_regclass('later') IS NULL") == ["t|t"])
        #expect(try database.query("SELECT count(*) FROM pg_constraint WHERE conname = 'no_0002'") == ["0"])
        #expect(try history() == ["0001:applied"])
        #expect(try events() == ["0001:applied"])
    }

    @Test func migsRowsAndTheNextMigrationAreReadWhateverAMigrationSet() throws {
        // With standard_conforming_strings off, 'a\b' would be "a" and a backspace; the next
        // migration is read only after the session was reset. (mig's reader refuses a plain `SET` of
        // it; a function can still change it.)
        try fixture.add(
            "0002", "escapes",
            up: "DO $$ BEGIN PERFORM set_config('standard_conforming_strings', 'off', false); END $$;\n"
                + "CREATE TABLE texts (value text);")
        try fixture.add("0003", "backslash", up: #"INSERT INTO texts VALUES ('a\b');"#)
        #expect(try run().completed.count == 3)
        #expect(try database.query("SELECT length(value) FROM texts") == ["3"])

        // A row written in a transaction where a script turned them off keeps its quotes and backslashes.
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        try driver.acquireMigrationLock()
        defer { try? driver.releaseMigrationLock() }
        _ = try driver.appliedMigrations()
        let script = Script(path: "db/migrations/0004_row.sql", startLine: 1, sql: "SET standard_conforming_strings = off;")
        let name = #"it's a back\slash"#
        try driver.beginTransaction()
        try driver.execute(script)
        try driver.recordApplied(
            AppliedMigration(
                version: Version("0004")!, name: name, checksum: "c", appliedAt: Date(), executionMilliseconds: 1,
                appliedBy: #"o'neil\"#, gitCommit: nil, state: .applied))
        try driver.recordEvent(
            HistoryEvent(
                version: "0004", name: name, kind: .applied, checksum: "c", at: Date(), by: #"o'neil\"#,
                gitCommit: nil, detail: #"a 'quoted' \detail"#))
        try driver.commitTransaction()
        let row = try #require(try driver.appliedMigrations().first { $0.version.text == "0004" })
        #expect(row.name == name)
        #expect(row.appliedBy == #"o'neil\"#)
        #expect(try driver.historyEvents().last?.detail == #"a 'quoted' \detail"#)
    }

    @Test func anotherSpellingOfAVersionIsReplacedAndKeepsItsPlace() throws {
        // A row written as `2` (another tool's spelling, or an earlier mig's), then the file `0002`.
        try fixture.add("0002", "second", up: "-- mig:no-transaction\nCREATE TABLE second (id integer);\nSELECT nope;")
        #expect(throws: MigrationFailure.self) { try run() }
        try database.query("UPDATE mig_history SET version = '2' WHERE version = '0002'")
        try fixture.add("0002", "second", up: "-- mig:no-transaction\nCREATE TABLE second (id integer);\nSELECT 1;")
        try fixture.add("0003", "third", up: "CREATE TABLE third (id integer);")
        _ = try run()
        #expect(try history() == ["0001:applied", "0002:applied", "0003:applied"])
        #expect(
            try database.query("SELECT version || ':' || applied_order FROM mig_history ORDER BY version")
                == ["0001:1", "0002:2", "0003:3"])
    }

    @Test func aRolledBackRowTakesNoPlaceInTheAppliedOrder() throws {
        _ = try run()
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        try driver.acquireMigrationLock()
        defer { try? driver.releaseMigrationLock() }
        _ = try driver.appliedMigrations()
        func row(_ version: String) -> AppliedMigration {
            AppliedMigration(
                version: Version(version)!, name: "row", checksum: "c", appliedAt: Date(), executionMilliseconds: 1,
                appliedBy: "tester", gitCommit: nil, state: .applied)
        }
        try driver.beginTransaction()
        try driver.recordApplied(row("0002"))
        try driver.rollbackTransaction()
        for version in ["0003", "0002"] {
            try driver.beginTransaction()
            try driver.recordApplied(row(version))
            try driver.commitTransaction()
        }
        #expect(
            try database.query("SELECT string_agg(version || ':' || applied_order, ',' ORDER BY version) FROM mig_history")
                == ["0001:1,0002:3,0003:2"])
        // Several new rows in one transaction (an adoption, a baseline) each get a place of their own.
        try driver.beginTransaction()
        for version in ["0004", "0005"] { try driver.recordApplied(row(version)) }
        try driver.commitTransaction()
        try driver.beginTransaction()
        try driver.recordApplied(row("0006"))
        try driver.commitTransaction()
        #expect(
            try database.query("SELECT string_agg(version || ':' || applied_order, ',' ORDER BY version) FROM mig_history")
                == ["0001:1,0002:3,0003:2,0004:4,0005:5,0006:6"])
    }

    /// Under the lock an event's id is the next after the highest the run knows, written as a literal
    /// (no look at the table per event): one rolled back takes none, several in one transaction get
    /// one each, and one written outside a transaction counts at once.
    @Test func eventsGetTheNextIDsWithoutALookAtTheTable() throws {
        _ = try run()
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        try driver.acquireMigrationLock()
        defer { try? driver.releaseMigrationLock() }
        _ = try driver.appliedMigrations()
        func event(_ version: String) -> HistoryEvent {
            HistoryEvent(version: version, name: "row", kind: .applied, checksum: nil, at: Date(), by: "tester", gitCommit: nil)
        }
        try driver.beginTransaction()
        try driver.recordEvent(event("0002"))
        try driver.rollbackTransaction()
        try driver.beginTransaction()
        for version in ["0003", "0004"] { try driver.recordEvent(event(version)) }
        try driver.commitTransaction()
        try driver.recordEvent(event("0005"))
        try driver.beginTransaction()
        try driver.recordEvent(event("0006"))
        try driver.commitTransaction()
        #expect(
            try database.query("SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM mig_history_events")
                == ["1:0001,2:0003,3:0004,4:0005,5:0006"])
        let table = PostgresHistoryTable(schema: nil, table: "mig_history")
        #expect(!table.insertion(of: event("0007"), id: 6).contains("max(id)"))
        #expect(table.insertion(of: event("0007")).contains("max(id)"))
    }

    @Test func theSwiftCanonicalSpellingIsTheServers() throws {
        let spellings = [
            "1", "0001", "0010", "0100", "1000", "01", "0", "00", "000", "0.0", "00.00", "1.02", "1_2", "01_002",
            "2024.01.15.10", "2024_01_15_09", "10.01", "1._01", "_01", ".001", "0a", "00a", "000a", "a0", "1.0.0",
            "20240115093000", "2024-01-15-093000", "1..02", "0_0_1", "v0001",
        ]
        for spelling in spellings {
            let server = try database.query(
                "SELECT translate(regexp_replace('\(spelling)', '(^|[._])0+([0-9])', '\\1\\2', 'g'), '_', '.')")
            #expect(server == [PostgresHistoryTable.canonicalSpelling(spelling)], "\(spelling)")
        }
    }
}
