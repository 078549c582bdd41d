import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// The applied order and the events record on the real PostgreSQL server.
@Suite(.postgres) struct PostgresHistoryLedgerTests {
    let fixture: MigrationFixture
    let database: PostgresTestDatabase

    init() throws {
        fixture = try MigrationFixture()
        database = try PostgresTestDatabase()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id integer);", down: "DROP TABLE users;")
        try fixture.add("0002", "posts", up: "CREATE TABLE posts (id integer);", down: "DROP TABLE posts;")
    }

    private func driver() throws -> PostgresDriver {
        try PostgresDriver(url: database.url, settings: Configuration.Database())
    }

    private func runner() throws -> MigrationRunner {
        MigrationRunner(driver: try driver(), catalog: try fixture.catalog(), context: fixture.context)
    }

    @Test func twoAppliesAtTheSameInstantStillOrder() throws {
        let driver = try driver()
        try driver.ensureHistoryTable()
        let instant = Date(timeIntervalSince1970: 1_700_000_000)
        for version in ["0002", "1"] {
            try driver.recordApplied(
                AppliedMigration(
                    version: Version(version)!, name: "x", checksum: "c", appliedAt: instant, executionMilliseconds: 0,
                    appliedBy: "tester", gitCommit: nil, state: .applied))
        }
        // Another spelling of a version replaces its row and keeps its place.
        try driver.recordApplied(
            AppliedMigration(
                version: Version("0001")!, name: "users", checksum: "c", appliedAt: instant, executionMilliseconds: 0,
                appliedBy: "tester", gitCommit: nil, state: .applied))
        let applied = try driver.appliedMigrations()
        #expect(applied.map { "\($0.version.text):\($0.appliedOrder ?? 0)" } == ["0001:2", "0002:1"])
        let plan = try MigrationPlanner(catalog: try fixture.catalog(), applied: applied, dialect: .postgres).downPlan()
        #expect(plan.steps.map(\.migration.version.text) == ["0001"])
    }

    /// A history table an earlier mig created (the old DDL, no applied_order) is upgraded in place by
    /// the next run, its rows numbered by applied_at (0010 before 9 here), then version.
    @Test func aHistoryTableOfAnEarlierMigIsUpgradedInPlace() throws {
        _ = try database.query(
            """
            CREATE TABLE users (id integer); CREATE TABLE posts (id integer);
            CREATE TABLE mig_history (
                version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL,
                execution_ms integer NOT NULL, applied_by text NOT NULL, git_commit text,
                state text NOT NULL CHECK (state IN ('applied', 'dirty')),
                completed_statements text[] NOT NULL DEFAULT '{}'
            );
            INSERT INTO mig_history VALUES
                ('0002', 'posts', 'c', '2024-01-01 10:00:00+00', 1, 'old', NULL, 'applied', '{}'),
                ('0001', 'users', 'c', '2024-01-01 11:00:00+00', 1, 'old', NULL, 'applied', '{}'),
                ('10', 'ten', 'c', '2024-01-01 12:00:00+00', 1, 'old', NULL, 'applied', '{}'),
                ('9', 'nine', 'c', '2024-01-01 12:00:00+00', 1, 'old', NULL, 'applied', '{}');
            """)
        #expect(try driver().appliedMigrations().map(\.appliedOrder) == [nil, nil, nil, nil])
        try fixture.add("0011", "tags", up: "CREATE TABLE tags (id integer);", down: "DROP TABLE tags;")
        try fixture.add("0009", "nine", up: "SELECT 9;", down: "SELECT 9;")
        try fixture.add("0010", "ten", up: "SELECT 10;", down: "SELECT 10;")
        _ = try runner().run(.init(rehearse: false)) { try $0.upPlan(allowChanged: true) }
        #expect(
            try database.query(
                "SELECT string_agg(version || ':' || applied_order, ',' ORDER BY applied_order) FROM mig_history")
                == ["0002:1,0001:2,9:3,10:4,0011:5"])
        let reverted = try runner().run(.init(rehearse: false)) { try $0.downPlan(steps: 3) }
        #expect(reverted.completed.map(\.step.migration.version.text) == ["0011", "0010", "0009"])
        #expect(
            try database.query("SELECT string_agg(event || ' ' || version, ',' ORDER BY id) FROM mig_history_events")
                == ["applied 0011,reverted 0011,reverted 0010,reverted 0009"])
    }

    @Test func theEventsRecordKeepsThePastAfterADownWithTheDatabaseUser() throws {
        _ = try runner().run(.init(rehearse: false)) { try $0.upPlan() }
        _ = try runner().run(.init(rehearse: false)) { try $0.downPlan() }
        let events = try driver().historyEvents()
        #expect(
            events.map { "\($0.kind.rawValue) \($0.version ?? "")" } == [
                "applied 0001", "applied 0002", "reverted 0002",
            ])
        let user = try database.query("SELECT current_user")
        #expect(events.allSatisfy { [$0.databaseUser ?? ""] == user && $0.by == "tester" && $0.gitCommit == "abc123" })
        #expect(try driver().appliedMigrations().map(\.version.text) == ["0001"])
        #expect(!(try driver().schemaSnapshot().objects.contains { $0.name.hasPrefix("mig_") }))
    }

    /// An event is written in the transaction of its history change: a failed migration rolled back
    /// leaves neither.
    @Test func aRolledBackMigrationLeavesNoEvent() throws {
        try fixture.add("0003", "broken", up: "CREATE TABLE t (id integer);\nSELECT * FROM nowhere;")
        #expect(throws: MigrationFailure.self) { try runner().run(.init(rehearse: false)) { try $0.upPlan() } }
        #expect(
            try database.query("SELECT string_agg(event || ' ' || version, ',' ORDER BY id) FROM mig_history_events")
                == ["applied 0001,applied 0002"])
    }

    /// A deploy role with only DML grants on an old history table (no CREATE on the schema, not the
    /// table's owner): a dry run alters nothing and succeeds, and `up` and `down` carry on without
    /// applied_order and the events record, warning with the statements an owner must run.
    @Test func aRoleWithOnlyDMLGrantsCarriesOnWithoutTheUpgrade() throws {
        _ = try database.query(
            """
            CREATE TABLE mig_history (
                version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL,
                execution_ms integer NOT NULL, applied_by text NOT NULL, git_commit text,
                state text NOT NULL CHECK (state IN ('applied', 'dirty')),
                completed_statements text[] NOT NULL DEFAULT '{}'
            );
            """)
        let role = try PostgresTestRole(password: "deploy", database: database)
        _ = try database.query(
            "REVOKE CREATE ON SCHEMA public FROM \(role.name); "
                + "GRANT SELECT, INSERT, UPDATE, DELETE ON mig_history TO \(role.name)")
        try fixture.remove("0001", "users")
        try fixture.remove("0002", "posts")
        try fixture.add("0003", "noop", up: "SELECT 3;", down: "SELECT 3;")
        let deploy = try PostgresDriver(
            url: try PostgresTestServer.url(database: database.name, user: role.name, password: "deploy"),
            settings: Configuration.Database())
        let runner = MigrationRunner(driver: deploy, catalog: try fixture.catalog(), context: fixture.context)
        let columns = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'mig_history'"

        _ = try runner.run(.init(rehearse: false, dryRun: true)) { try $0.upPlan() }
        #expect(try database.query(columns) == ["9"])
        #expect(deploy.takeNotices().isEmpty)

        let applied = try runner.run(.init(rehearse: false)) { try $0.upPlan() }
        #expect(applied.completed.map(\.step.migration.version.text) == ["0003"])
        let warnings = deploy.takeNotices().joined(separator: "\n")
        #expect(warnings.contains("ALTER TABLE \"public\".\"mig_history\" ADD COLUMN IF NOT EXISTS applied_order bigint;"))
        #expect(warnings.contains("CREATE TABLE IF NOT EXISTS \"public\".\"mig_history_events\""))
        #expect(try database.query(columns) == ["9"])
        #expect(try database.query("SELECT to_regclass('mig_history_events') IS NULL") == ["t"])
        let reverted = try runner.run(.init(rehearse: false)) { try $0.downPlan() }
        #expect(reverted.completed.map(\.step.migration.version.text) == ["0003"])
        #expect(try deploy.appliedMigrations().isEmpty)
    }

    /// A migration's `SET ROLE` does not change who the events record says wrote a line: the role
    /// that logged in (`session_user`).
    @Test func theDatabaseUserIsTheRoleThatLoggedIn() throws {
        _ = try runner().run(.init(rehearse: false)) { try $0.upPlan() }
        let role = try PostgresTestRole(password: "other", database: database)
        _ = try database.query("GRANT ALL ON ALL TABLES IN SCHEMA public TO \(role.name)")
        try fixture.add("0003", "as_other", up: "SET ROLE \(role.name);\nCREATE TABLE t (id integer);", down: "DROP TABLE t;")
        _ = try runner().run(.init(rehearse: false)) { try $0.upPlan() }
        #expect(
            try database.query("SELECT database_user FROM mig_history_events WHERE version = '0003'")
                == (try database.query("SELECT session_user")))
    }
}
