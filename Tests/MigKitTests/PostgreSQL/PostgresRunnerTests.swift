import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// The runner on PostgreSQL: the rehearsal runs on a copy of the database's schema in a shadow
/// server (here the test server), then each migration is applied in a transaction of its own.
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
        return try MigrationRunner(
            driver: driver, catalog: try fixture.catalog(), context: fixture.context,
            rehearsalSource: try PostgresRehearsalSource.onTestServer()
        ).run(options) {
            try $0.upPlan()
        }
    }

    @Test func theRehearsalRunsOnACopySoTheDatabaseRunsEachStepOnce() throws {
        _ = try run()
        // nextval is not transactional: a rehearsal on the real database would leave 2.
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
        #expect(report.unrehearsed.isEmpty)
        #expect(try database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_id'::regclass") == ["t"])
        let dryRun = try run(.init(dryRun: true))
        #expect(dryRun.plan.isEmpty)
    }

    /// A dry run rehearses on a copy like a real run, and changes nothing.
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
        var outside: [String] = []
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        let report = try MigrationRunner(
            driver: driver, catalog: try fixture.catalog(), context: fixture.context,
            rehearsalSource: try PostgresRehearsalSource.onTestServer()
        ).run {
            if case .outsideTransaction(_, let reason) = $0 { outside.append(reason) }
        } plan: {
            try $0.upPlan()
        }
        #expect(report.completed.count == 3)
        #expect(report.unrehearsed.isEmpty)
        #expect(outside == ["CREATE INDEX CONCURRENTLY at line 2 cannot run in a transaction"])
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

    @Test func migrationsBuildingOnANoTransactionOneAreRehearsedWithItAndApplied() throws {
        // 0003 uses the index 0002 creates outside a transaction: the rehearsal runs both, in order.
        try fixture.add(
            "0002", "events",
            up: "CREATE TABLE events (id int);\nCREATE UNIQUE INDEX CONCURRENTLY events_id ON events (id);")
        try fixture.add("0003", "key", up: "ALTER TABLE events ADD CONSTRAINT events_key UNIQUE USING INDEX events_id;")
        try fixture.add("0004", "view", up: "CREATE VIEW recent AS SELECT id FROM events;")
        let report = try run()
        #expect(report.rehearsed && report.unrehearsed.isEmpty)
        #expect(report.completed.map(\.step.migration.version.text) == ["0001", "0002", "0003", "0004"])
        #expect(try database.query("SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass") == ["events_key"])
        #expect(try database.query("SELECT to_regclass('recent') IS NOT NULL") == ["t"])
    }

    /// The rehearsal fails on a migration after a no-transaction one (which the old rehearsal, a
    /// transaction on the real database, could not run): nothing of the plan reaches the database.
    @Test func aMigrationFailingInTheRehearsalLeavesTheDatabaseUntouched() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        _ = try run()
        try fixture.add("0003", "index", up: "CREATE INDEX CONCURRENTLY t_id ON t (id);")
        try fixture.add("0004", "broken", up: "ALTER TABLE t ADD COLUMN id integer;")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.inShadow)
        #expect(failure.migration == "0004_broken")
        #expect(failure.message.contains("already exists (42701)"))
        #expect(
            try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                == ["0001:applied,0002:applied"])
        #expect(try database.query("SELECT to_regclass('t_id') IS NULL") == ["t"])
    }

    /// The rehearsal copy has the schema but not the rows: a migration that fails only on the real rows
    /// passes it, and fails for real; in a single transaction, that undoes the whole plan.
    @Test func aSingleTransactionAppliesAllOrNothing() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        _ = try run()
        try database.query("INSERT INTO t VALUES (1), (1)")
        try fixture.add("0003", "other", up: "CREATE TABLE u (id integer);")
        try fixture.add("0004", "unique", up: "CREATE UNIQUE INDEX t_id ON t (id);")
        let failure = try #require(throws: MigrationFailure.self) { try run(.init(singleTransaction: true)) }
        #expect(failure.consequence == .planRolledBack)
        #expect(failure.migration == "0004_unique")
        #expect(failure.description.contains("the whole plan was rolled back"))
        #expect(try database.query("SELECT to_regclass('u') IS NULL") == ["t"])
        try database.query("DELETE FROM t")
        let report = try run(.init(singleTransaction: true))
        #expect(report.completed.map(\.step.migration.version.text) == ["0003", "0004"])
        #expect(
            try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
                == ["0001:applied,0002:applied,0003:applied,0004:applied"])
    }

    @Test func aSingleTransactionRefusesAPlanWithANoTransactionStep() throws {
        try fixture.add("0002", "table", up: "CREATE TABLE t (id integer);")
        try fixture.add("0003", "index", up: "CREATE INDEX CONCURRENTLY t_id ON t (id);")
        let error = try #require(throws: SingleTransactionRefusal.self) { try run(.init(singleTransaction: true)) }
        #expect(
            error.reason.hasPrefix(
                "--single-transaction runs the whole plan in one transaction, but db/migrations/0003_index.sql runs "
                    + "outside a transaction (CREATE INDEX CONCURRENTLY at line 2 cannot run in a transaction): nothing was run"))
        #expect(try database.query("SELECT to_regclass('counter') IS NULL, to_regclass('mig_history') IS NULL") == ["t|t"])
    }
}

extension PostgresRehearsalSource {
    /// Rehearsal copies on the test server (instead of a private cluster, which takes seconds to start).
    static func onTestServer(settings: Configuration.Database = Configuration.Database()) throws
        -> PostgresRehearsalSource
    {
        let url = try #require(PostgresTestServer.url)
        return PostgresRehearsalSource(settings: settings) { majorVersion in
            try PostgresShadowServer(url: url, settings: settings, majorVersion: majorVersion, announce: {})
        }
    }
}
