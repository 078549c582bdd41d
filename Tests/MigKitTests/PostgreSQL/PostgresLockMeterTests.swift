import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// `--measure` on the test server: the tables that exist before the branch get generated rows,
/// so a validation or rewrite works through data, and a table that cannot be filled says why.
@Suite(.postgres) struct PostgresLockMeterTests {
    let server: PostgresShadowServer

    init() throws {
        server = try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: Configuration.Database(), announce: {})
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
            """)

    private func measure(_ sql: String) throws -> LockMeasurement {
        let target = LintTarget(
            script: Script(path: "0002_change.sql", startLine: 1, sql: sql), path: "db/migrations/0002_change.sql",
            isNewOnBranch: true)
        return try PostgresLockMeter(makeDatabase: { [server] in try server.makeDatabase() }, rowsPerTable: 50)
            .measure(before: [Self.base], targets: [target])
    }

    @Test func existingTablesGetRowsThatEveryColumnAccepts() throws {
        let measurement = try measure(
            """
            ALTER TABLE users ADD CONSTRAINT users_old CHECK (age > 1000);
            ALTER TABLE orders ADD CONSTRAINT orders_has_user CHECK (user_id IS NULL);
            ALTER TABLE counters ADD CONSTRAINT counters_none CHECK (id < 0);
            ALTER TABLE users ALTER COLUMN age TYPE bigint;
            """)
        let rows = Dictionary(uniqueKeysWithValues: measurement.generatedRows.map { ($0.table, $0) })
        #expect(rows["users"] == GeneratedRows(table: "users", rows: 50, skipped: nil))
        #expect(rows["orders"]?.skipped == nil, "the referenced users come first")
        #expect(rows["counters"]?.skipped == nil, "a table of defaults only is filled too")
        #expect(rows["places"]?.rows == 0)
        #expect(rows["places"]?.skipped == "no value can be made for at (point)")

        // Each CHECK fails on the rows there: the validation scanned real data, and the next statement still ran.
        let statements = measurement.statements
        #expect(statements.count == 4)
        #expect(statements[0].failure?.contains("is violated by some row") == true, "\(statements[0])")
        #expect(statements[1].failure?.contains("is violated by some row") == true, "\(statements[1])")
        #expect(statements[2].failure?.contains("is violated by some row") == true, "\(statements[2])")
        #expect(statements[3].failure == nil)
        #expect(statements[3].rewritten == ["users"])
        #expect(statements[3].summary.contains("ACCESS EXCLUSIVE on users (existing table)"))
    }
}
