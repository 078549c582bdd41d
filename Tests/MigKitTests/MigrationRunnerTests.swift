import Foundation
import MigKit
import Testing

@Suite struct MigrationRunnerTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER PRIMARY KEY);", down: "DROP TABLE users;")
        try fixture.add(
            "0002", "emails",
            up: "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE INDEX users_email ON users (email);",
            down: "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;")
    }

    private func runner(_ driver: SQLiteDriver) throws -> MigrationRunner {
        MigrationRunner(driver: driver, catalog: try fixture.catalog(), context: fixture.context)
    }

    @Test func appliesAndRecordsEachMigration() throws {
        let database = try fixture.database()
        let report = try runner(database).run { try $0.upPlan() }
        #expect(report.completed.count == 2)
        #expect(report.rehearsed)
        let history = try database.appliedMigrations()
        #expect(history.map(\.version.text) == ["0001", "0002"])
        #expect(history.allSatisfy { $0.appliedBy == "tester" && $0.gitCommit == "abc123" && $0.state == .applied })
        #expect(history[1].checksum == (try fixture.catalog().migrations[1].up.checksum))
        #expect(try runner(database).run { try $0.upPlan() }.plan.isEmpty)
    }

    @Test func aFailureInTheRehearsalChangesNothing() throws {
        try fixture.add("0003", "broken", up: "CREATE TABLE a (id INTEGER);\nCREATE TABLE a (id INTEGER);")
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) { try runner(database).run { try $0.upPlan() } }
        #expect(failure.inShadow)
        #expect(failure.location == .init(path: "db/migrations/0003_broken.sql", line: 3))
        #expect(failure.description.contains("table a already exists"))
        #expect(try database.schemaSnapshot().isEmpty)
        #expect(try database.appliedMigrations().isEmpty)
    }

    @Test func aFailureWithoutRehearsalRollsBackOnlyThatMigration() throws {
        try fixture.add("0003", "broken", up: "CREATE TABLE a (id INTEGER);\nINSERT INTO nowhere VALUES (1);")
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) {
            try runner(database).run(.init(rehearse: false)) { try $0.upPlan() }
        }
        #expect(!failure.inShadow)
        #expect(failure.location?.line == 3)
        #expect(try database.appliedMigrations().map(\.version.text) == ["0001", "0002"])
        #expect(!(try database.schemaSnapshot().objects.contains { $0.name == "a" }))
    }

    @Test func revertsAndRedoes() throws {
        let database = try fixture.database()
        _ = try runner(database).run { try $0.upPlan() }
        let reverted = try runner(database).run { try $0.downPlan(steps: 2) }
        #expect(reverted.completed.map(\.step.migration.version.text) == ["0002", "0001"])
        #expect(try database.schemaSnapshot().isEmpty)
        #expect(try database.appliedMigrations().isEmpty)
        _ = try runner(database).run { try $0.upPlan() }
        _ = try runner(database).run { try $0.redoPlan() }
        #expect(try database.appliedMigrations().count == 2)
    }

    @Test func dryRunChangesNothing() throws {
        let database = try fixture.database()
        let report = try runner(database).run(.init(dryRun: true)) { try $0.upPlan() }
        #expect(report.plan.steps.count == 2)
        #expect(report.completed.isEmpty)
        #expect(try database.schemaSnapshot().isEmpty)
        #expect(try database.appliedMigrations().isEmpty)
    }

    /// A script with its own transaction control that fails at its first statement changed
    /// nothing: it is not marked dirty, and once fixed it runs.
    @Test func aSelfManagedScriptThatRanNothingIsNotMarkedDirty() throws {
        let script = "BEGIN;\nCREATE TABLE own (id INTEGER);\nCOMMIT;"
        try fixture.add("0003", "own", up: "INSERT INTO nowhere VALUES (1);\n" + script)
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) { try runner(database).run { try $0.upPlan() } }
        #expect(failure.description.contains("0 of 4 statement(s) ran"), "\(failure.description)")
        #expect(try database.appliedMigrations().map(\.version.text) == ["0001", "0002"])
        try fixture.add("0003", "own", up: script)
        _ = try runner(database).run { try $0.upPlan() }
        #expect(try database.appliedMigrations().map(\.state) == [.applied, .applied, .applied])
    }

    @Test func aFailedNoTransactionMigrationStaysDirty() throws {
        try fixture.add(
            "0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id INTEGER);\nSELECT * FROM nowhere;")
        let database = try fixture.database()
        #expect(throws: MigrationFailure.self) { try runner(database).run(.init(rehearse: false)) { try $0.upPlan() } }
        let history = try database.appliedMigrations()
        #expect(history.last?.state == .dirty)
        #expect(try database.schemaSnapshot().objects.contains { $0.name == "kept" })
        #expect(history.last?.completedStatements.count == 1)
        // Unfixed, the rerun resumes at the failing statement and fails there again.
        let again = try #require(throws: MigrationFailure.self) { try runner(database).run { try $0.upPlan() } }
        #expect(again.location?.line == 4)
        // Fixed, it resumes after the statement that had succeeded (which would fail if run twice).
        try fixture.add(
            "0003", "outside",
            up: "-- mig:no-transaction\nCREATE TABLE kept (id INTEGER);\nCREATE TABLE more (id INTEGER);")
        _ = try runner(database).run { try $0.upPlan() }
        #expect(try database.appliedMigrations().last?.state == .applied)
        #expect(try database.schemaSnapshot().objects.contains { $0.name == "more" })
    }

    /// A down outside a transaction that fails part-way leaves its migration dirty (what it dropped
    /// stays dropped), so neither `up` nor another `down` takes it for applied.
    @Test func aFailedNoTransactionRevertMarksTheMigrationDirty() throws {
        try fixture.add(
            "0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id INTEGER);",
            down: "-- mig:no-transaction\nDROP TABLE kept;\nSELECT * FROM nowhere;")
        let database = try fixture.database()
        _ = try runner(database).run { try $0.upPlan() }
        let failure = try #require(throws: MigrationFailure.self) {
            try runner(database).run(.init(rehearse: false)) { try $0.downPlan() }
        }
        #expect(failure.description.contains("marked dirty"), "\(failure.description)")
        let record = try #require(try database.appliedMigrations().last)
        #expect(record.version.text == "0003")
        #expect(record.state == .dirty)
        #expect(record.completedStatements == [AppliedMigration.failedRevertMarker])
        #expect(!(try database.schemaSnapshot().objects.contains { $0.name == "kept" }))
    }

    @Test func aDirtyMigrationWhoseDoneStatementsChangedBlocksUntilResolved() throws {
        try fixture.add(
            "0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept (id INTEGER);\nSELECT * FROM nowhere;")
        let database = try fixture.database()
        #expect(throws: MigrationFailure.self) { try runner(database).run(.init(rehearse: false)) { try $0.upPlan() } }
        try fixture.add("0003", "outside", up: "-- mig:no-transaction\nCREATE TABLE kept2 (id INTEGER);\nSELECT 1;")
        let blocked = try #require(throws: PlanError.self) { try runner(database).run { try $0.upPlan() } }
        #expect(blocked.description.contains("mig resolve"))
        #expect(throws: ResolveError.notDirty(Version("0001")!)) {
            try runner(database).resolve(Version("0001")!, as: .applied)
        }
        try runner(database).resolve(Version("0003")!, as: .applied)
        #expect(try database.appliedMigrations().last?.state == .applied)
        #expect(try runner(database).run { try $0.upPlan() }.plan.isEmpty)
    }
}
