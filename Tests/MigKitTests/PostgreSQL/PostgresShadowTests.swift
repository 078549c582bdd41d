import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// The shadow replay and deploy-order drift of `ShadowReplayTests`/`DeployOrderDriftTests`, on
/// PostgreSQL shadows: databases created on the test server, and mig's own private cluster.
@Suite(.postgres) struct PostgresShadowTests {
    let server: PostgresShadowServer

    init() throws {
        server = try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: Configuration.Database(), announce: {})
    }

    private func replay(_ fixture: MigrationFixture) -> ShadowReplay {
        ShadowReplay(directoryPrefix: fixture.directory) { [server] in try server.makeDatabase() }
    }

    @Test func roundtripsCleanlyAndNamesTheDownThatLeavesAColumnBehind() throws {
        let fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id serial PRIMARY KEY);", down: "DROP TABLE users;")
        try fixture.add(
            "0002", "index", up: "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY users_id ON users (id);",
            down: "DROP INDEX users_id;")
        let clean = try replay(fixture).run(try fixture.catalog().migrations, roundtrip: true, capturingSchema: true)
        #expect(clean.diagnostics.isEmpty)
        #expect(clean.roundtripCompleted)
        #expect(clean.schema?.objects.contains { $0.kind == "index" && $0.name == "users_id" } == true)

        try fixture.add("0003", "names", up: "ALTER TABLE users ADD COLUMN name text;", down: "SELECT 1;")
        let leaky = try replay(fixture).run(try fixture.catalog().migrations, roundtrip: true)
        let finding = try #require(leaky.diagnostics.first)
        #expect(finding.location == .init(path: "db/migrations/0003_names.sql", line: 4))
        #expect(finding.message.contains("+     column name text"))
    }

    /// Every down reverts the schema, but one leaves a row behind that the second up builds on:
    /// only the comparison of the second up with the first finds it.
    @Test func namesAnUpWhoseSecondRunDiffersFromTheFirst() throws {
        let fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id integer);")
        try fixture.add(
            "0002", "many",
            up: """
                INSERT INTO users VALUES (1);
                DO $$ BEGIN
                  IF (SELECT count(*) FROM users) > 1 THEN CREATE TABLE many (id integer); END IF;
                END $$;
                """,
            down: "DROP TABLE IF EXISTS many;")
        let report = try replay(fixture).run(try fixture.catalog().migrations, roundtrip: true)
        let finding = try #require(report.diagnostics.first, "\(report)")
        #expect(report.diagnostics.count == 1)
        #expect(finding.code == .shadowFailed)
        #expect(finding.location == .init(path: "db/migrations/0002_many.sql", line: 2))
        #expect(finding.message.contains("schema after 0002_many differs from the first up"), "\(finding.message)")
        #expect(finding.message.contains("+ table many"), "\(finding.message)")
        #expect(!report.roundtripCompleted)
    }

    /// PostgreSQL adds a column at the end of its table: a down that re-adds a dropped column
    /// reverts it, since column order does not count.
    @Test func aDownThatReAddsAColumnAtTheEndReverts() throws {
        let fixture = try MigrationFixture()
        try fixture.add(
            "0001", "users", up: "CREATE TABLE users (id integer, email text, name text);", down: "DROP TABLE users;")
        try fixture.add(
            "0002", "no_email", up: "ALTER TABLE users DROP COLUMN email;",
            down: "ALTER TABLE users ADD COLUMN email text;")
        let report = try replay(fixture).run(try fixture.catalog().migrations, roundtrip: true)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics.map(\.message))")
        #expect(report.roundtripCompleted)
    }

    @Test func reportsAFailingUpWithFileLineAndSQLState() throws {
        let fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id integer);")
        try fixture.add(
            "0002", "bad",
            up: "CREATE TABLE a (id integer);\nCREATE TABLE b (id integer);\nCREATE TABLE users (id integer);")
        let report = try replay(fixture).run(try fixture.catalog().migrations, roundtrip: false)
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .shadowFailed)
        #expect(finding.location == .init(path: "db/migrations/0002_bad.sql", line: 4))
        #expect(finding.message.contains("relation \"users\" already exists (42P07)"))
    }

    private func driftFixtures(_ shared: [(String, String, String)], added: (String, String, String)) throws
        -> (base: MigrationFixture, head: MigrationFixture)
    {
        let base = try MigrationFixture()
        let head = try MigrationFixture()
        for (version, name, up) in shared {
            try base.add(version, name, up: up)
            try head.add(version, name, up: up)
        }
        try head.add(added.0, added.1, up: added.2)
        return (base, head)
    }

    @Test func findsAReorderThatChangesTheSchema() throws {
        let (base, head) = try driftFixtures(
            [
                ("0001", "t", "CREATE TABLE t (id integer);"),
                ("0003", "copy", "CREATE TABLE t_copy AS SELECT * FROM t;"),
            ],
            added: ("0002", "add_name", "ALTER TABLE t ADD COLUMN name text;"))
        let report = try DeployOrderDrift(replay: replay(head)).check(base: base.catalog(), head: head.catalog())
        #expect(report.deployOrder == ["0001_t", "0003_copy", "0002_add_name"])
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .orderDrift)
        #expect(finding.message.contains("table t_copy"))
        #expect(finding.message.contains("+     column name text"))
    }

    @Test func acceptsAReorderThatDoesNotChangeTheSchema() throws {
        let (base, head) = try driftFixtures(
            [("0001", "t", "CREATE TABLE t (id integer);"), ("0003", "u", "CREATE TABLE u (id integer);")],
            added: ("0002", "v", "CREATE TABLE v (id serial PRIMARY KEY);"))
        let report = try DeployOrderDrift(replay: replay(head)).check(base: base.catalog(), head: head.catalog())
        #expect(report.diagnostics.isEmpty)
        #expect(report.deployOrder != report.versionOrder)
    }

    @Test func reportsAReorderThatFailsInOneOrder() throws {
        let (base, head) = try driftFixtures(
            [("0001", "t", "CREATE TABLE t (id integer);"), ("0003", "drop", "DROP TABLE t;")],
            added: ("0002", "index", "CREATE INDEX t_id ON t (id);"))
        let report = try DeployOrderDrift(replay: replay(head)).check(base: base.catalog(), head: head.catalog())
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .shadowFailed)
        #expect(finding.message.contains("deploy order"))
        #expect(finding.location == .init(path: "db/migrations/0002_index.sql", line: 2))
    }

    /// `mig schema` on PostgreSQL: functions, sequences and enum types besides tables and views,
    /// the same text from two separate shadows.
    @Test func theSchemaFileListsEveryKindOfObjectTheSameEveryTime() throws {
        let fixture = try MigrationFixture()
        try fixture.add(
            "0001", "objects",
            up: "CREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE SEQUENCE tickets;\n"
                + "CREATE TABLE people (id serial PRIMARY KEY, feeling mood NOT NULL);\n"
                + "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS 'SELECT 1';\n"
                + "CREATE VIEW cheerful AS SELECT id FROM people WHERE feeling = 'ok';")
        var configuration = Configuration()
        configuration.migrations.dialect = .postgres
        let file = SchemaFile(
            project: Project(root: fixture.scratch.url, configuration: configuration, hasConfigurationFile: true))
        let catalog = try fixture.catalog()
        var cacheUse = ShadowCacheUse()
        guard case .text(let first) = try file.produce(catalog, in: replay(fixture), cacheUse: &cacheUse),
            case .text(let second) = try file.produce(catalog, in: replay(fixture), cacheUse: &cacheUse)
        else {
            Issue.record("the replay failed")
            return
        }
        #expect(first == second)
        #expect(first.contains("(postgres)"))
        for kind in ["table", "view", "function", "sequence", "enum"] {
            #expect(first.contains("\n\(kind) "), "no \(kind) in\n\(first)")
        }
    }

    @Test func dropsTheDatabasesItCreated() throws {
        let own = try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: Configuration.Database(), announce: {})
        let shadow = try own.makeDatabase() as! PostgresDriver
        let name = try #require(
            try shadow.connection.execute("SELECT current_database()", parameters: []).value(row: 0, column: 0))
        #expect(name.hasPrefix("mig_shadow_"))
        _ = consume shadow
        let database = try PostgresTestDatabase()
        #expect(try database.query("SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == ["1"])
        _ = consume own
        #expect(try database.query("SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == ["0"])
    }

    @Test func aPrivateClusterStartsAndGoesAwayAgain() throws {
        var announced = false
        var cluster: PostgresShadowServer? = try PostgresShadowServer(
            url: nil, settings: Configuration.Database(), announce: { announced = true })
        #expect(announced)
        var database = try #require(try cluster?.makeDatabase() as? PostgresDriver)
        try database.execute(sql: "CREATE TABLE t (id integer)")
        #expect(try database.schemaSnapshot().objects.map(\.name) == ["t"])
        let socket = try #require(
            try database.connection.execute("SHOW unix_socket_directories", parameters: []).value(row: 0, column: 0))
        let folder = URL(fileURLWithPath: socket).deletingLastPathComponent().path
        #expect(folder.contains("mig-shadow-"))
        #expect(FileManager.default.fileExists(atPath: folder))
        database = try PostgresDriver(
            url: "postgresql:///postgres?host=\(socket)&user=postgres", settings: Configuration.Database())
        cluster = nil
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(throws: DatabaseError.self) { try database.execute(sql: "SELECT 1") }
    }
}
