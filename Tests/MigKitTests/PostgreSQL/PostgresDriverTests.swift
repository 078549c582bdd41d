import Foundation
import MigTestSupport
import Testing

@testable import MigKit

@Suite(.postgres) struct PostgresDriverTests {
    let database: PostgresTestDatabase

    init() throws { database = try PostgresTestDatabase() }

    private func driver(_ configure: (inout Configuration.Database) -> Void = { _ in }) throws -> PostgresDriver {
        var settings = Configuration.Database()
        configure(&settings)
        return try PostgresDriver(url: database.url, settings: settings)
    }

    private func script(_ sql: String, startLine: Int = 1, outside: Bool = false) -> Script {
        Script(path: "db/migrations/0001_test.sql", startLine: startLine, sql: sql, runsOutsideTransaction: outside)
    }

    @Test func runsAScriptAndKeepsHistory() throws {
        let driver = try driver { $0.historySchema = "mig \"ops\"" }
        try driver.ensureHistoryTable()
        try driver.ensureHistoryTable()
        try driver.beginTransaction()
        try driver.execute(
            script(
                "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\nINSERT INTO users (email) VALUES ('a@b');"
            ))
        let record = AppliedMigration(
            version: Version("0001")!, name: "users", checksum: "abc",
            appliedAt: Date(timeIntervalSince1970: 1_700_000_000),
            executionMilliseconds: 12, appliedBy: "me", gitCommit: nil, state: .dirty,
            completedStatements: ["d1", "d2"])
        try driver.recordApplied(record)
        try driver.commitTransaction()
        #expect(
            try driver.appliedMigrations() == [
                AppliedMigration(
                    version: record.version, name: record.name, checksum: record.checksum, appliedAt: record.appliedAt,
                    executionMilliseconds: 12, appliedBy: "me", gitCommit: nil, state: .dirty,
                    completedStatements: ["d1", "d2"], appliedOrder: 1)
            ])
        #expect(try database.query("SELECT count(*) FROM users") == ["1"])
        #expect(try database.query(#"SELECT state FROM "mig ""ops"""."mig_history""#) == ["dirty"])
        try driver.removeAppliedRecord(version: Version("1")!)
        #expect(try driver.appliedMigrations().isEmpty)
    }

    @Test func historyIsEmptyBeforeTheTableExists() throws {
        #expect(try driver().appliedMigrations().isEmpty)
    }

    @Test func aSyntaxErrorNamesFileLineAndSQLState() throws {
        let driver = try driver()
        try driver.beginTransaction()
        let failure = #expect(throws: DatabaseError.self) {
            try driver.execute(script("CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n\nSELEC 1;", startLine: 5))
        }
        try driver.rollbackTransaction()
        #expect(failure?.path == "db/migrations/0001_test.sql")
        #expect(failure?.line == 8)
        #expect(failure?.code == "42601")
        #expect(try database.query("SELECT to_regclass('a') IS NULL") == ["t"])
    }

    @Test func aRuntimeErrorWithoutPositionNamesTheFailingStatementsLine() throws {
        let driver = try driver()
        try driver.beginTransaction()
        let failure = #expect(throws: DatabaseError.self) {
            try driver.execute(
                script(
                    "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n-- again\nINSERT INTO a\n  VALUES (1);",
                    startLine: 3))
        }
        try driver.rollbackTransaction()
        #expect(failure?.line == 6)
        #expect(failure?.code == "23505")
        #expect(failure?.detail?.contains("(id)=(1)") == true)
    }

    @Test func positionsCountCharactersNotBytes() throws {
        let driver = try driver()
        let failure = #expect(throws: DatabaseError.self) {
            try driver.execute(script("SELECT 'äöü€';\nSELECT 'ß';\nSELECT nope;"))
        }
        #expect(failure?.line == 3)
        #expect(failure?.code == "42703")
    }

    @Test func noTransactionScriptsRunStatementByStatement() throws {
        let driver = try driver()
        let script = script("CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id ON t (id);", outside: true)
        for statement in try PostgresSQLReader().read(script.sql).statements { try driver.execute(statement, of: script) }
        #expect(try database.query("SELECT indexname FROM pg_indexes WHERE tablename = 't'") == ["t_id"])
    }

    @Test func noticesAreCollected() throws {
        let driver = try driver()
        try driver.execute(sql: "DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$")
        #expect(driver.takeNotices() == ["NOTICE: hello 42"])
        #expect(driver.takeNotices().isEmpty)
    }

    @Test func sessionTimeoutsComeFromConfiguration() throws {
        let defaults = try driver()
        #expect(try defaults.connection.execute("SHOW lock_timeout", parameters: []).value(row: 0, column: 0) == "5s")
        let custom = try driver {
            $0.lockTimeout = "2min"
            $0.statementTimeout = "1s"
        }
        #expect(try custom.connection.execute("SHOW lock_timeout", parameters: []).value(row: 0, column: 0) == "2min")
        let failure = #expect(throws: DatabaseError.self) { try custom.execute(sql: "SELECT pg_sleep(3)") }
        #expect(failure?.code == "57014")
        let invalid = #expect(throws: DatabaseError.self) { try driver { $0.lockTimeout = "soon" } }
        #expect(invalid?.description.contains("[database] lock_timeout") == true)
    }

    @Test func connectsThroughTheUnixSocket() throws {
        let socket = try #require(PostgresTestServer.socketDirectory)
        let port = try #require(try PostgresTestServer.url(database: database.name).firstMatch(of: /:(\d+)\//)?.1)
        let url =
            try PostgresTestServer.url(database: database.name).replacingOccurrences(
                of: #"@127\.0\.0\.1:\d+/"#, with: "@/", options: .regularExpression)
            + "?host=\(socket)&port=\(port)&sslmode=disable"
        let driver = try PostgresDriver(url: url, settings: Configuration.Database())
        try driver.execute(sql: "SELECT 1")
    }

    @Test func aWrongPasswordIsReportedWithoutThePassword() throws {
        let secret = "Sup3r-Secret%40pw"
        let url = try PostgresTestServer.url(database: database.name, password: "x").replacingOccurrences(
            of: ":x@", with: ":\(secret)@")
        let failure = #expect(throws: DatabaseError.self) {
            try PostgresDriver(url: url, settings: Configuration.Database())
        }
        let text = try #require(failure).description
        #expect(text.contains("password authentication failed"))
        #expect(!text.contains("Sup3r"))
        #expect(!text.contains("Secret"))
        #expect(text.contains("***"))
    }

    @Test func aServerThatDoesNotAnswerFailsWithinTheConnectTimeout() throws {
        let silent = try SilentServer()
        var settings = Configuration.Database()
        settings.connectTimeout = 2
        let start = Date()
        let failure = #expect(throws: DatabaseError.self) {
            try PostgresDriver(url: "postgres://u:pw@127.0.0.1:\(silent.port)/db?sslmode=disable", settings: settings)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 1.5 && elapsed < 6)
        #expect(failure?.message.contains("timeout expired") == true)
    }

    @Test func snapshotsCoverCatalogObjectsAndLeaveHistoryOut() throws {
        let driver = try driver()
        try driver.ensureHistoryTable()
        try driver.execute(
            script(
                """
                CREATE TYPE mood AS ENUM ('sad', 'happy');
                CREATE SEQUENCE counter START 5;
                CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL DEFAULT 'x',
                                     feeling mood, CONSTRAINT name_long CHECK (length(name) > 0));
                CREATE INDEX people_name ON people (name);
                CREATE VIEW names AS SELECT name FROM people;
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                CREATE TRIGGER people_touch BEFORE UPDATE ON people FOR EACH ROW EXECUTE FUNCTION touch();
                """))
        let snapshot = try driver.schemaSnapshot()
        let names = Set(snapshot.objects.map { "\($0.kind) \($0.name)" })
        #expect(
            names == [
                "enum mood", "sequence counter", "table people", "index people_name",
                "index people_pkey", "view names", "function touch()", "trigger people.people_touch",
            ])
        let people = try #require(snapshot.objects.first { $0.name == "people" })
        #expect(people.details.contains("column name text not null default 'x'::text"))
        #expect(people.details.contains("constraint name_long CHECK ((length(name) > 0))"))
    }

    @Test func snapshotsOfTheSameSchemaReachedDifferentlyAreEqual() throws {
        let other = try PostgresTestDatabase()
        let first = try driver()
        let second = try PostgresDriver(url: other.url, settings: Configuration.Database())
        try first.execute(
            script("CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b text;\nCREATE INDEX a_b ON a (b);"))
        try second.execute(script("CREATE TABLE a (id int,\n    b text);\nCREATE INDEX a_b ON a\n  (b);"))
        #expect(try first.schemaSnapshot() == second.schemaSnapshot())
        try second.execute(script("ALTER TABLE a ALTER COLUMN b SET NOT NULL"))
        #expect(
            try first.schemaSnapshot().difference(to: second.schemaSnapshot()) == [
                "  table a", "-     column b text", "+     column b text not null",
            ])
    }

    @Test(arguments: ["advisory", "table"])
    func theMigrationLockMakesASecondDeployerWait(mode: String) throws {
        let first = try driver { $0.lock = mode }
        try first.acquireMigrationLock()
        let url = database.url
        let acquired = Flag()
        let waiter = Thread {
            var settings = Configuration.Database()
            settings.lock = mode
            guard let second = try? PostgresDriver(url: url, settings: settings) else { return }
            try? second.acquireMigrationLock()
            acquired.set()
            try? second.releaseMigrationLock()
        }
        waiter.start()
        Thread.sleep(forTimeInterval: 0.8)
        #expect(!acquired.isSet)
        try first.releaseMigrationLock()
        let deadline = Date().addingTimeInterval(10)
        while !acquired.isSet, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(acquired.isSet)
    }
}

/// A boolean shared between test threads.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
