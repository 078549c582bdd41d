import Foundation
import Testing

@testable import MigKit

/// How the runner runs scripts on SQLite by what they contain: a script with its own transaction
/// control runs as written and never where it could commit (a dry run, a rehearsal).
@Suite struct TransactionModeTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
    }

    private func run(_ database: SQLiteDriver, _ options: MigrationRunner.Options = .init()) throws -> RunReport {
        try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context).run(options) {
            try $0.upPlan()
        }
    }

    private func tables(_ database: SQLiteDriver) throws -> Set<String> {
        Set(try database.schemaSnapshot().objects.filter { $0.kind == "table" }.map(\.name))
    }

    @Test func aDryRunNeverRunsAScriptWithItsOwnTransaction() throws {
        try fixture.add("0001", "users", up: "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;")
        let database = try fixture.database()
        for options in [MigrationRunner.Options(dryRun: true), .init(rehearse: false, dryRun: true)] {
            let report = try run(database, options)
            #expect(report.unrehearsed.map(\.migration) == ["0001_users"])
            #expect(report.unrehearsed.first?.reason.contains("manages its own transactions") == true)
            #expect(try tables(database).isEmpty)
            #expect(try database.appliedMigrations().isEmpty)
        }
    }

    /// The rehearsal runs on a copy of the database, but an attached file or a `VACUUM INTO` file is
    /// the real one: such a script is never rehearsed, so a dry run leaves it alone and `mig up`
    /// writes it once.
    @Test func aScriptThatWritesAnotherFileIsNeverRehearsed() throws {
        let archive = fixture.scratch.url.appending(path: "archive.db").path
        let backup = fixture.scratch.url.appending(path: "backup.db").path
        try fixture.add(
            "0001", "archive",
            up: "-- mig:no-transaction\nATTACH DATABASE '\(archive)' AS archive;\n"
                + "CREATE TABLE IF NOT EXISTS archive.log (id int);\nINSERT INTO archive.log VALUES (1);\nDETACH archive;")
        try fixture.add("0002", "backup", up: "-- mig:no-transaction\nVACUUM INTO '\(backup)';")
        let database = try fixture.database()
        let dryRun = try run(database, .init(dryRun: true))
        #expect(dryRun.unrehearsed.map(\.migration) == ["0001_archive", "0002_backup"])
        #expect(dryRun.unrehearsed.first?.reason.contains("attaches another database file (line 3)") == true, "\(dryRun.unrehearsed)")
        #expect(!FileManager.default.fileExists(atPath: archive))
        #expect(!FileManager.default.fileExists(atPath: backup))
        let report = try run(database)
        #expect(report.completed.count == 2)
        let attached = try SQLiteDriver(path: archive)
        #expect(try attached.connection.prepare("SELECT count(*) FROM log").rows { $0.integer(0) } == [1])
        #expect(FileManager.default.fileExists(atPath: backup))
    }

    @Test func aRealRunRunsItAsWrittenAndRecordsItAfterwards() throws {
        try fixture.add("0001", "users", up: "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;")
        try fixture.add(
            "0002", "half", up: "CREATE TABLE kept (id int);\nBEGIN;\nCREATE TABLE undone (id int);\nROLLBACK;")
        try fixture.add("0003", "after", up: "CREATE TABLE after_them (id int);")
        let database = try fixture.database()
        let report = try run(database)
        #expect(report.completed.count == 3)
        #expect(report.unrehearsed.map(\.migration) == ["0001_users", "0002_half", "0003_after"])
        #expect(try tables(database) == ["users", "kept", "after_them"])
        #expect(try database.appliedMigrations().map(\.state) == [.applied, .applied, .applied])
    }

    @Test func aFailureAfterItsOwnCommitSaysWhatStaysAndMarksItDirty() throws {
        try fixture.add(
            "0001", "users",
            up: "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\nBEGIN;\nINSERT INTO nowhere VALUES (1);\nCOMMIT;")
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) { try run(database) }
        #expect(failure.location?.line == 6)
        #expect(!failure.description.contains("as it was before"))
        #expect(failure.description.contains("4 of 6 statement(s) ran"))
        #expect(try tables(database) == ["users"])
        let row = try #require(try database.appliedMigrations().first)
        #expect(row.state == .dirty)
        #expect(row.completedStatements == [AppliedMigration.selfManagedMarker])
        // The transaction it left open was rolled back: the database is usable.
        try database.execute(sql: "CREATE TABLE next (id int)")
    }
}
