import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// The runner on PostgreSQL: the rehearsal is the real database in a transaction, kept when every
/// step ran there (one pass, all or nothing), rolled back otherwise.
@Suite(.postgres) struct PostgresRunnerTests {
    let fixture: MigrationFixture
    let database: PostgresTestDatabase

    init() throws {
        fixture = try MigrationFixture()
        database = try PostgresTestDatabase()
        try fixture.add("0001", "counter", up: "CREATE SEQUENCE counter;", down: "DROP SEQUENCE counter;")
    }

    private func run(_ options: MigrationRunner.Options = .init()) throws -> RunReport {
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        return try MigrationRunner(driver: driver, catalog: try fixture.catalog(), context: fixture.context).run(
            options
        ) {
            try $0.upPlan()
        }
    }

    @Test func aSuccessfulRehearsalIsKeptSoEachStepRunsOnce() throws {
        _ = try run()
        // nextval is not transactional: a rehearsal rolled back and run again would leave 2.
        try fixture.add("0002", "bump", up: "SELECT nextval('counter');\nCREATE TABLE t (id integer);")
        let report = try run()
        #expect(report.completed.map(\.step.migration.version.text) == ["0002"])
        #expect(try database.query("SELECT last_value FROM counter") == ["1"])
        #expect(
            try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                == ["0001:applied,0002:applied"])
    }

    @Test func aFailingStepLeavesTheWholePlanUnapplied() throws {
        try fixture.add("0002", "t", up: "CREATE TABLE t (id integer);")
        try fixture.add("0003", "broken", up: "INSERT INTO nowhere VALUES (1);")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.inShadow)
        #expect(failure.location == .init(path: "db/migrations/0003_broken.sql", line: 2))
        #expect(try database.query("SELECT to_regclass('t') IS NULL, to_regclass('mig_history') IS NULL") == ["t|t"])
    }

    @Test func aPlanWithANoTransactionStepIsRehearsedThenApplied() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);\nSELECT nextval('counter');")
        try fixture.add("0003", "index", up: "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);")
        let report = try run()
        #expect(report.completed.count == 3)
        #expect(report.unrehearsed.map(\.migration) == ["0003_index"])
        #expect(try database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass") == ["t"])
        let dryRun = try run(.init(dryRun: true))
        #expect(dryRun.plan.isEmpty)
    }
}
