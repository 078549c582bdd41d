import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// `--measure` on the test server: the tables that exist before the branch get generated rows,
/// so a validation or rewrite works through data, and a table that cannot be filled says why.
@Suite(.postgres) struct PostgresLockMeterTests {
    let server: PostgresShadowServer

    init() throws {
        var settings = Configuration.Database()
        settings.historyTable = "deploys"
        server = try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: settings, announce: {})
    }

    private static let base = Script(
        path: "0001_base.sql", startLine: 1,
        sql: """
            CREATE TYPE plan AS ENUM ('free', 'paid');
            CREATE TABLE users (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email varchar(40) NOT NULL UNIQUE,
                age smallint NOT NULL, active boolean NOT NULL, plan plan NOT NULL, born date, seen timestamptz,
                token uuid NOT NULL, settings jsonb NOT NULL, tags text[] NOT NULL, note text,
                created timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), total numeric(12,2));
            CREATE TABLE places (id bigint PRIMARY KEY, at point NOT NULL);
            CREATE TABLE counters (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
            CREATE TABLE codes (code varchar(2) NOT NULL UNIQUE);
            CREATE SCHEMA billing;
            CREATE TABLE billing.users (id bigint);
            CREATE TABLE mig_history (id integer);
            CREATE MATERIALIZED VIEW user_emails AS SELECT email FROM users;
            """)

    /// Measures each of `migrations` as one migration of the branch, after the base.
    private func measure(_ migrations: String...) throws -> LockMeasurement {
        let targets = migrations.enumerated().map { index, sql in
            LintTarget(
                script: Script(path: "000\(index + 2)_change.sql", startLine: 1, sql: sql),
                path: "db/migrations/000\(index + 2)_change.sql", isNewOnBranch: true)
        }
        return try PostgresLockMeter(makeDatabase: { [server] in try server.makeDatabase() }, rowsPerTable: 50)
            .measure(before: [Self.base], targets: targets)
    }

    @Test func existingTablesGetRowsThatEveryColumnAccepts() throws {
        let measurement = try measure(
            "ALTER TABLE users ADD CONSTRAINT users_old CHECK (age > 1000);",
            "ALTER TABLE orders ADD CONSTRAINT orders_has_user CHECK (user_id IS NULL);",
            "ALTER TABLE counters ADD CONSTRAINT counters_none CHECK (id < 0);",
            "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
            "COMMENT ON TABLE places IS 'named'; COMMENT ON TABLE codes IS 'named';")
        let rows = Dictionary(uniqueKeysWithValues: measurement.generatedRows.map { ($0.table, $0) })
        #expect(rows["users"] == GeneratedRows(table: "users", rows: 50, skipped: nil))
        #expect(rows["orders"]?.skipped == nil, "the referenced users come first")
        #expect(rows["counters"]?.skipped == nil, "a table of defaults only is filled too")
        #expect(rows["places"]?.rows == 0)
        #expect(rows["places"]?.skipped == "no value can be made for at (point)")
        #expect(rows["billing.users"]?.skipped == nil, "same-named tables of two schemas are each filled")
        #expect(rows["codes"]?.skipped == nil, "50 distinct values fit in varchar(2): \(rows["codes"]?.skipped ?? "")")

        // Each CHECK fails on the rows there: the validation scanned real data, and the next migration still ran.
        let statements = measurement.statements
        #expect(statements.count == 6)
        #expect(statements[0].failure?.contains("is violated by some row") == true, "\(statements[0])")
        #expect(statements[1].failure?.contains("is violated by some row") == true, "\(statements[1])")
        #expect(statements[2].failure?.contains("is violated by some row") == true, "\(statements[2])")
        #expect(statements[3].failure == nil)
        #expect(statements[3].rewritten == ["users"])
        #expect(statements[3].summary.contains("ACCESS EXCLUSIVE on users (existing table)"))
    }

    /// Only the tables the branch names get rows, with the tables their foreign keys point to: a
    /// measurement costs what the branch touches, not what the whole schema holds.
    @Test func onlyTheTablesTheBranchNamesAndTheirParentsGetRows() throws {
        let measurement = try measure("ALTER TABLE Orders ADD COLUMN note text;")
        let tables = Set(measurement.generatedRows.map(\.table))
        #expect(tables.isSuperset(of: ["orders", "users"]))
        #expect(tables.isDisjoint(with: ["places", "codes", "counters"]))
    }

    /// Each migration runs in one transaction, as `mig up` runs it: `SET LOCAL` and a temporary
    /// table dropped at COMMIT work, and each statement shows the locks it added.
    @Test func aMigrationRunsInOneTransactionAndEachStatementShowsTheLocksItAdded() throws {
        let measurement = try measure(
            """
            SET LOCAL lock_timeout = '1s';
            SET CONSTRAINTS ALL DEFERRED;
            CREATE TEMP TABLE staging (id bigint) ON COMMIT DROP;
            INSERT INTO staging SELECT id FROM users;
            CREATE INDEX users_email_idx ON users (email);
            ALTER TABLE orders ADD COLUMN note text;
            CREATE INDEX users_age_idx ON users (age);
            """)
        let statements = measurement.statements
        #expect(statements.count == 7)
        #expect(statements.allSatisfy { $0.failure == nil }, "\(statements.compactMap(\.failure))")
        #expect(statements[4].summary == "SHARE on users (existing table)")
        #expect(statements[5].summary == "ACCESS EXCLUSIVE on orders (existing table)")
        #expect(statements[6].summary == "", "users' SHARE lock is already the transaction's")
    }

    /// A failing statement rolls its migration back; the migration's later statements do not run.
    @Test func aFailureEndsItsMigrationAsARealRunWould() throws {
        let statements = try measure("SELECT no_such_function();\nALTER TABLE users ADD COLUMN x int;").statements
        #expect(statements.count == 1)
        #expect(statements[0].failure?.contains("no_such_function") == true)
    }

    /// Tables are told apart by oid: same-named tables of two schemas, a table renamed on the
    /// branch, and a user table that happens to be called mig_history while the history table
    /// is another.
    @Test func tablesAreFollowedByOidWithTheirSchema() throws {
        let statements = try measure(
            """
            ALTER TABLE billing.users ALTER COLUMN id TYPE text;
            ALTER TABLE orders RENAME TO purchases;
            ALTER TABLE purchases ALTER COLUMN total TYPE text;
            ALTER TABLE mig_history ALTER COLUMN id TYPE bigint;
            """
        ).statements
        #expect(statements[0].rewritten == ["billing.users"])
        #expect(statements[0].summary.contains("ACCESS EXCLUSIVE on billing.users (existing table)"))
        #expect(statements[1].locks.map(\.table) == ["purchases"])
        #expect(statements[1].locks.map(\.existing) == [true], "the renamed table existed before the branch")
        #expect(statements[2].rewritten == ["purchases"])
        #expect(statements[3].rewritten == ["mig_history"])
    }

    /// A materialized view's refresh takes its locks too; TRUNCATE empties rather than rewrites.
    @Test func viewsAreMeasuredAndTruncateIsNotARewrite() throws {
        let statements = try measure("REFRESH MATERIALIZED VIEW user_emails;\nTRUNCATE places;").statements
        #expect(statements[0].summary.contains("ACCESS EXCLUSIVE on user_emails (existing table)"))
        #expect(statements[0].rewritten == ["user_emails"])
        #expect(statements[1].rewritten.isEmpty)
        #expect(statements[1].emptied == ["places"])
        #expect(statements[1].summary.contains("places emptied (new storage)"))
    }
}
