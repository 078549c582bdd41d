import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// Flyway repeatable migrations and callbacks on PostgreSQL: rehearsed with the plan in its
/// transaction (kept when every step ran), repeatables recorded in `mig_history_repeatables` and
/// run again only when their file changed.
@Suite(.postgres) struct PostgresRepeatableTests {
    let fixture: MigrationFixture
    let database: PostgresTestDatabase

    init() throws {
        fixture = try MigrationFixture()
        database = try PostgresTestDatabase()
        try write("V1__users.sql", "CREATE TABLE users (id integer PRIMARY KEY, active boolean NOT NULL);")
        try write("R__active_users.sql", "CREATE OR REPLACE VIEW active_users AS SELECT id FROM users WHERE active;")
    }

    private func write(_ file: String, _ text: String) throws {
        try fixture.scratch.write("\(fixture.directory)/\(file)", text + "\n")
    }

    private func up() throws -> RunReport {
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        return try MigrationRunner(
            driver: driver, catalog: try fixture.catalog(), context: fixture.context,
            rehearsalSource: try PostgresRehearsalSource.onTestServer()
        ).run {
            try $0.upPlan()
        }
    }

    @Test func createsTheViewAndRecreatesItOnlyAfterAnEdit() throws {
        #expect(try up().completedRepeatables.map(\.repeatable.identifier) == ["R__active_users"])
        #expect(try database.query("SELECT count(*) FROM pg_views WHERE viewname = 'active_users'") == ["1"])
        #expect(try database.query("SELECT name FROM mig_history_repeatables") == ["active_users"])
        #expect(try up().plan.isEmpty)
        try write(
            "R__active_users.sql",
            "CREATE OR REPLACE VIEW active_users AS SELECT id, active FROM users WHERE active;")
        #expect(try up().completedRepeatables.count == 1)
        #expect(
            try database.query(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'active_users'") == ["2"])
        #expect(try database.query("SELECT string_agg(version, ',') FROM mig_history") == ["1"])
    }

    @Test func callbacksRunOnceAroundThePlanAndEachMigration() throws {
        try write(
            "beforeMigrate.sql", "CREATE TABLE IF NOT EXISTS log (event text);\nINSERT INTO log VALUES ('before');")
        try write("afterEachMigrate.sql", "INSERT INTO log VALUES ('each-after');")
        try write("afterMigrate.sql", "INSERT INTO log VALUES ('after');")
        let report = try up()
        #expect(report.completed.count == 1)
        #expect(
            try database.query("SELECT string_agg(event, ',' ORDER BY ctid) FROM log") == ["before,each-after,after"])
        #expect(try up().plan.isEmpty)
        #expect(try database.query("SELECT count(*) FROM log") == ["3"])
    }
}
