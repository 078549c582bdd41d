import Foundation
import MigKit
import Testing

/// Flyway repeatable migrations (`R__name.sql`): run after the versioned ones, in name order, when
/// new or changed, recorded in the repeatables table beside the history table.
@Suite struct RepeatableMigrationTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try write("V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER NOT NULL);")
        try write(
            "R__active_users.sql",
            "DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id FROM users WHERE active = 1;")
    }

    private func write(_ file: String, _ text: String) throws {
        try fixture.scratch.write("\(fixture.directory)/\(file)", text + "\n")
    }

    private func up(_ database: SQLiteDriver, _ options: MigrationRunner.Options = .init()) throws -> RunReport {
        try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context).run(options) {
            try $0.upPlan()
        }
    }

    private func planner(_ database: SQLiteDriver) throws -> MigrationPlanner {
        MigrationPlanner(
            catalog: try fixture.catalog(), applied: try database.appliedMigrations(),
            appliedRepeatables: try database.appliedRepeatables(), dialect: .sqlite)
    }

    private func viewSQL(_ database: SQLiteDriver) throws -> String? {
        try database.schemaSnapshot().objects.first { $0.name == "active_users" }.map {
            $0.details.joined(separator: "\n")
        }
    }

    @Test func runsAfterTheVersionedOnesAndOnlyAgainWhenChanged() throws {
        let database = try fixture.database()
        #expect(try planner(database).repeatableStatus().map(\.state) == [.pending])
        let first = try up(database)
        #expect(first.completed.map(\.step.migration.identifier) == ["1_users"])
        #expect(first.completedRepeatables.map(\.repeatable.identifier) == ["R__active_users"])
        #expect(try viewSQL(database)?.contains("active = 1") == true)
        let recorded = try #require(try database.appliedRepeatables().first)
        #expect(recorded.name == "active_users" && recorded.appliedBy == "tester" && recorded.gitCommit == "abc123")
        #expect(try database.appliedMigrations().map(\.version.text) == ["1"])
        #expect(try planner(database).repeatableStatus().map(\.state) == [.applied])

        let unchanged = try up(database)
        #expect(unchanged.plan.isEmpty)
        #expect(unchanged.completedRepeatables.isEmpty)

        try write(
            "R__active_users.sql",
            "DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id FROM users WHERE active <> 0;")
        #expect(try planner(database).repeatableStatus().map(\.state) == [.outdated])
        let edited = try up(database)
        #expect(edited.completed.isEmpty)
        #expect(edited.completedRepeatables.map(\.repeatable.identifier) == ["R__active_users"])
        #expect(try viewSQL(database)?.contains("active <> 0") == true)
        #expect(
            try database.appliedRepeatables().map(\.checksum) == [try fixture.catalog().repeatables[0].script.checksum])
        #expect(try planner(database).repeatableStatus().map(\.state) == [.applied])
    }

    @Test func runInNameOrderAfterEveryNewVersionedMigration() throws {
        let database = try fixture.database()
        _ = try up(database)
        try write("V2__emails.sql", "ALTER TABLE users ADD COLUMN email TEXT;")
        try write("R__a_emails.sql", "CREATE VIEW IF NOT EXISTS emails AS SELECT email FROM users;")
        let report = try up(database)
        #expect(report.completed.map(\.step.migration.identifier) == ["2_emails"])
        #expect(report.completedRepeatables.map(\.repeatable.identifier) == ["R__a_emails"])
        #expect(try database.appliedRepeatables().map(\.name) == ["a_emails", "active_users"])
    }

    @Test func aTargetedUpLeavesThemForARunThatReachesTheNewest() throws {
        let database = try fixture.database()
        let report = try up(database) { try $0.upPlan(to: Version("1")) }
        #expect(report.completedRepeatables.isEmpty)
        #expect(try database.appliedRepeatables().isEmpty)
    }

    @Test func aFailingRepeatableFailsInTheRehearsalAndChangesNothing() throws {
        try write("R__broken.sql", "CREATE VIEW broken AS SELECT nothing FROM nowhere;")
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) { try up(database) }
        #expect(failure.inShadow)
        #expect(failure.migration == "R__broken")
        #expect(failure.location?.path == "db/migrations/R__broken.sql")
        #expect(try database.appliedMigrations().isEmpty)
        #expect(try database.schemaSnapshot().isEmpty)
    }

    @Test func aDryRunListsThemAndRunsNothing() throws {
        let database = try fixture.database()
        let report = try up(database, .init(dryRun: true))
        #expect(report.plan.repeatables.map(\.identifier) == ["R__active_users"])
        #expect(report.completedRepeatables.isEmpty)
        #expect(try database.appliedRepeatables().isEmpty)
        #expect(try database.schemaSnapshot().isEmpty)
    }

    @Test func theShadowReplayRunsThemAfterTheUps() throws {
        let report = try fixture.replay().run(
            try fixture.catalog().migrations, repeatables: try fixture.catalog().repeatables, roundtrip: true,
            capturingSchema: true)
        #expect(report.diagnostics.isEmpty)
        #expect(report.repeatables == ["R__active_users"])
        #expect(report.schema?.objects.contains { $0.name == "active_users" } == true)
        #expect(report.roundtripSkipped == "1_users has no down script")
    }

    @Test func theShadowSkipsARoundtripUnderThemAndSaysWhy() throws {
        try write("U1__users.sql", "DROP TABLE users;")
        let catalog = try fixture.catalog()
        let report = try fixture.replay().run(catalog.migrations, repeatables: catalog.repeatables, roundtrip: true)
        #expect(report.diagnostics.isEmpty)
        #expect(!report.roundtripCompleted)
        #expect(report.roundtripSkipped?.contains("repeatable migrations") == true)
    }

    @Test func theRepeatablesTableIsNotPartOfTheSchema() throws {
        let database = try fixture.database()
        _ = try up(database)
        #expect(try database.schemaSnapshot().objects.map(\.name).sorted() == ["active_users", "users"])
    }
}

extension RepeatableMigrationTests {
    private func up(_ database: SQLiteDriver, plan: (MigrationPlanner) throws -> MigrationPlan) throws -> RunReport {
        try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context).run(plan: plan)
    }
}
