import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct DialectDetectorTests {
    @Test(arguments: [
        ("CREATE TABLE t (id BIGSERIAL PRIMARY KEY);", "SERIAL"),
        ("CREATE TABLE t (at TIMESTAMP WITH TIME ZONE);", "TIMESTAMPTZ"),
        ("SELECT '1'::int;", ":: casts"),
        ("CREATE EXTENSION IF NOT EXISTS pgcrypto;", "CREATE EXTENSION"),
        ("CREATE INDEX i ON t USING gin (data);", "USING btree/gin/gist indexes"),
        ("CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN END $$ LANGUAGE plpgsql;", "$$ quoting"),
        ("ALTER TABLE t ALTER COLUMN c TYPE bigint;", "ALTER COLUMN … TYPE"),
    ])
    func recognisesPostgresOnlySyntax(sql: String, feature: String) {
        #expect(PostgresOnlySyntax().firstUse(in: "-- a comment\n" + sql)?.feature == feature)
        #expect(PostgresOnlySyntax().firstUse(in: "-- a comment\n" + sql)?.line == 2)
    }

    @Test func sqliteSQLAndCommentsAreNotEvidence() {
        let sql = "-- SERIAL and JSONB in a comment\nCREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT);\n"
        #expect(PostgresOnlySyntax().firstUse(in: sql) == nil)
    }

    @Test func readsEverySQLFileOfTheFolderEvenOneWhoseNameDoesNotParse() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("migrations/2019-02-26-002946_users/up.sql", "CREATE TABLE users (\n  tags TEXT[]\n);\n")
        let source = DirectorySource(directory: scratch.url.appending(path: "migrations"), displayPrefix: "migrations")
        let evidence = DialectDetector(root: scratch.url).detect(folder: "migrations", source: source)
        #expect(evidence == DialectEvidence(
            dialect: .postgres, location: "migrations/2019-02-26-002946_users/up.sql:2",
            reason: "uses array types, which only PostgreSQL has"))
    }

    @Test func readsEachToolsConfiguration() throws {
        let cases: [(String, String, String, Dialect)] = [
            ("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n", "prisma/migrations", .postgres),
            ("flyway.conf", "flyway.user=app\nflyway.url=jdbc:postgresql://localhost/app\n", "sql", .postgres),
            ("flyway.toml", "[environments.default]\nurl = \"jdbc:sqlite:app.db\"\n", "sql", .sqlite),
            ("Cargo.toml", "[dependencies]\ndiesel = { version = \"2\", features = [\"postgres\"] }\n", "migrations", .postgres),
            (".env", "GOOSE_DRIVER=sqlite3\n", "migrations", .sqlite),
        ]
        for (path, text, folder, dialect) in cases {
            let scratch = try ScratchDirectory()
            try scratch.write(path, text)
            let source = DirectorySource(directory: scratch.url.appending(path: folder), displayPrefix: folder)
            let evidence = DialectDetector(root: scratch.url).detect(folder: folder, source: source)
            #expect(evidence?.dialect == dialect, "\(path)")
            #expect(evidence?.location.hasPrefix(path + ":") == true, "\(String(describing: evidence))")
        }
    }
}
