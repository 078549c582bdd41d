import Foundation
import MigKit
import MigTestSupport
import Testing

/// Flyway SQL callbacks run by `mig up` at their events: `beforeMigrate` and `afterMigrate` around
/// a run that applies something, `beforeEachMigrate` and `afterEachMigrate` around each migration.
@Suite struct FlywayCallbackTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try write("V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);")
        try write("V2__posts.sql", "CREATE TABLE posts (id INTEGER PRIMARY KEY);")
        try write(
            "beforeMigrate.sql", "CREATE TABLE IF NOT EXISTS log (event TEXT);\nINSERT INTO log VALUES ('before');")
        try write("beforeEachMigrate.sql", "INSERT INTO log VALUES ('each-before');")
        try write("afterEachMigrate.sql", "INSERT INTO log VALUES ('each-after');")
        try write("afterMigrate.sql", "INSERT INTO log VALUES ('after');")
    }

    private func write(_ file: String, _ text: String) throws {
        try fixture.scratch.write("\(fixture.directory)/\(file)", text + "\n")
    }

    private func up(_ database: SQLiteDriver) throws -> RunReport {
        try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context).run {
            try $0.upPlan()
        }
    }

    private func log(_ database: SQLiteDriver) throws -> String {
        let file = fixture.scratch.url.appending(path: "app.db")
        return try SQLiteShell.run(file, "SELECT group_concat(event, ',') FROM (SELECT event FROM log ORDER BY rowid);")
    }

    @Test func runAtTheirEventsOnceAndNotWhenNothingIsApplied() throws {
        let database = try fixture.database()
        _ = try up(database)
        #expect(try log(database) == "before,each-before,each-after,each-before,each-after,after")
        #expect(try up(database).plan.isEmpty)
        #expect(try log(database) == "before,each-before,each-after,each-before,each-after,after")
    }

    @Test func aFailingCallbackFailsInTheRehearsalWithItsFileAndLine() throws {
        try write("afterEachMigrate.sql", "INSERT INTO log VALUES ('each-after');\nINSERT INTO nowhere VALUES (1);")
        let database = try fixture.database()
        let failure = try #require(throws: MigrationFailure.self) { try up(database) }
        #expect(failure.inShadow)
        #expect(failure.location == .init(path: "db/migrations/afterEachMigrate.sql", line: 2))
        #expect(try database.appliedMigrations().isEmpty)
        #expect(try database.schemaSnapshot().isEmpty)
    }

    @Test func aFailingAfterEachMigrateRollsBackItsMigration() throws {
        try write("afterEachMigrate.sql", "INSERT INTO nowhere VALUES (1);")
        let database = try fixture.database()
        #expect(throws: MigrationFailure.self) {
            try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context).run(
                .init(rehearse: false)
            ) { try $0.upPlan() }
        }
        #expect(try database.appliedMigrations().isEmpty)
        #expect(!(try database.schemaSnapshot().objects.contains { $0.name == "users" }))
    }
}
