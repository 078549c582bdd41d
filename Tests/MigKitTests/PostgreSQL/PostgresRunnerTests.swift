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

    /// A dry run rehearses in a transaction like a real run, but never keeps (commits) it.
    @Test func aDryRunRehearsesAndCommitsNothing() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        let report = try run(.init(dryRun: true))
        #expect(report.dryRun && report.rehearsed)
        #expect(report.completed.isEmpty)
        #expect(report.unrehearsed.isEmpty)
        #expect(
            try database.query(
                "SELECT to_regclass('counter') IS NULL, to_regclass('t') IS NULL, to_regclass('mig_history') IS NULL")
                == ["t|t|t"])
    }

    @Test func aDryRunNeverRunsAScriptWithItsOwnTransaction() throws {
        try fixture.add("0002", "users", up: "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;")
        for options in [MigrationRunner.Options(dryRun: true), .init(rehearse: false, dryRun: true)] {
            let report = try run(options)
            #expect(report.unrehearsed.map(\.migration) == ["0002_users"])
            #expect(
                try database.query("SELECT to_regclass('users') IS NULL, to_regclass('mig_history') IS NULL") == ["t|t"]
            )
        }
    }

    @Test func aScriptWithItsOwnTransactionRunsAsWrittenAndIsRecorded() throws {
        try fixture.add("0002", "users", up: "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;")
        try fixture.add(
            "0003", "half", up: "CREATE TABLE kept (id int);\nBEGIN;\nCREATE TABLE undone (id int);\nROLLBACK;")
        let report = try run()
        #expect(report.completed.count == 3)
        #expect(
            try database.query(
                "SELECT to_regclass('users') IS NOT NULL, to_regclass('kept') IS NOT NULL, to_regclass('undone') IS NULL"
            )
                == ["t|t|t"])
        #expect(
            try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                == ["0001:applied,0002:applied,0003:applied"])
    }

    @Test func createIndexConcurrentlyRunsOutsideATransactionWithoutADirective() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        try fixture.add(
            "0003", "index", up: "CREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_id2 ON t (id);"
        )
        let report = try run()
        #expect(report.completed.count == 3)
        #expect(report.unrehearsed.map(\.migration) == ["0003_index"])
        #expect(
            report.unrehearsed.first?.reason.contains("CREATE INDEX CONCURRENTLY at line 2 cannot run in a transaction")
                == true)
        #expect(
            try database.query("SELECT count(*) FROM pg_index WHERE indisvalid AND indrelid = 't'::regclass") == ["2"])
    }

    @Test func aFailedCreateIndexConcurrentlySaysWhatRanAndHowToDropTheInvalidIndex() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1), (1);")
        try fixture.add(
            "0003", "index",
            up: "CREATE INDEX CONCURRENTLY t_a ON t (id);\nCREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id);")
        let failure = try #require(throws: MigrationFailure.self) { try run(.init(rehearse: false)) }
        #expect(failure.location?.line == 3)
        #expect(!failure.description.contains("as it was before"))
        #expect(failure.description.contains("1 of 2 statement(s) completed"))
        #expect(failure.description.contains("`DROP INDEX CONCURRENTLY IF EXISTS t_id;`"))
        #expect(try database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass") == ["f"])
    }

    @Test func copyFromStdinSendsItsInlineData() throws {
        try fixture.add(
            "0002", "seed",
            up:
                "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone;two\n2\t\\N\n\\.\nINSERT INTO t VALUES (3, 'x');"
        )
        _ = try run()
        #expect(
            try database.query("SELECT string_agg(a || ':' || coalesce(b, 'NULL'), ',' ORDER BY a) FROM t") == [
                "1:one;two,2:NULL,3:x"
            ])
    }

    @Test func aScriptTheParserRejectsStopsTheRunBeforeAnythingRuns() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        try fixture.add("0003", "broken", up: "CREATE TABLE u (id int);\n/* never closed\nCREATE TABLE v (id int);")
        for options in [MigrationRunner.Options(), .init(rehearse: false), .init(dryRun: true)] {
            let failure = try #require(throws: MigrationFailure.self) { try run(options) }
            #expect(failure.consequence == .notRun)
            #expect(failure.location == .init(path: "db/migrations/0003_broken.sql", line: 3))
            #expect(failure.message.contains("unterminated /* comment"))
            #expect(
                try database.query("SELECT to_regclass('counter') IS NULL, to_regclass('mig_history') IS NULL") == [
                    "t|t"
                ])
        }
    }

    @Test func copyToStdoutIsRefusedBeforeAnythingRuns() throws {
        try fixture.add("0002", "out", up: "CREATE TABLE t (id integer);\nCOPY t TO STDOUT;")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.location?.line == 3)
        #expect(try database.query("SELECT to_regclass('counter') IS NULL") == ["t"])
    }

    @Test func migrationsAfterAnUnrehearsableOneAreNotRehearsedWithoutIt() throws {
        // 0003 builds on the table 0002 creates outside a transaction: rehearsing 0003 without 0002
        // would fail and apply nothing.
        try fixture.add(
            "0002", "events", up: "CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id ON events (id);")
        try fixture.add("0003", "view", up: "CREATE VIEW recent AS SELECT id FROM events;")
        let report = try run()
        #expect(report.completed.map(\.step.migration.version.text) == ["0001", "0002", "0003"])
        #expect(report.unrehearsed.map(\.migration) == ["0002_events", "0003_view"])
        #expect(try database.query("SELECT to_regclass('recent') IS NOT NULL") == ["t"])
    }
}
