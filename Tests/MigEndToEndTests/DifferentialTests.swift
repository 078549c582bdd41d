import Foundation
import MigTestSupport
import Testing

/// Tricky real-world scripts applied by `mig up` and by the engine's own shell (`psql -f`, the
/// `sqlite3` shell) into fresh databases: the schema and data dumps must be identical, or mig must
/// have refused the file before touching anything.
enum DifferentialCorpus {
    static let postgres: [String: String] = [
        "dollar_quotes_comments_escapes": #"""
        /* outer /* nested; */ still; comment */
        CREATE TABLE t (id int PRIMARY KEY, note text);
        CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          NEW.note := coalesce(NEW.note, $$none;$$) || E'\t;';
          RETURN NEW;
        END $body$;
        CREATE TRIGGER t_bump BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION bump();
        INSERT INTO t VALUES (1, E'it\'s; fine'), (2, NULL), (3, 'a\b');
        """#,
        "rules_and_begin_identifiers": """
        CREATE TABLE a (begin int, "end" int);
        CREATE TABLE b (v int);
        CREATE TABLE c (v int);
        CREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (NEW.begin); INSERT INTO c VALUES (NEW."end"));
        INSERT INTO a VALUES (1, 2);
        """,
        "standard_conforming_strings_off": #"""
        CREATE TABLE s (v text);
        SET standard_conforming_strings = off;
        INSERT INTO s VALUES ('a\'; b');
        """#,
        "copy_inline_data":
            "CREATE TABLE p (a int, b text);\nCOPY p (a, b) FROM stdin;\n1\tone;two\n2\t\\N\n3\tquote'\n\\.\nINSERT INTO p VALUES (4, 'after');\n",
        "own_transaction": "BEGIN;\nCREATE TABLE users (id int);\nINSERT INTO users VALUES (1);\nCOMMIT;\n",
        "rollback_mid_file":
            "CREATE TABLE kept (id int);\nBEGIN;\nCREATE TABLE undone (id int);\nROLLBACK;\nINSERT INTO kept VALUES (7);\n",
        "concurrently":
            "CREATE TABLE i (id int);\nINSERT INTO i VALUES (1);\nCREATE INDEX CONCURRENTLY i_id ON i (id);\nVACUUM i;\n",
        "crlf_literal": "CREATE TABLE l (v text);\r\nINSERT INTO l VALUES ('a\r\nb');\r\n",
        "nul_byte": "CREATE TABLE n1 (id int);\n\u{0}\nCREATE TABLE n2 (id int);\n",
        "unterminated_comment": "CREATE TABLE u1 (id int);\n/* never closed\nCREATE TABLE u2 (id int);\n",
        "meta_command": "CREATE TABLE m (id int);\n\\set x 1\nINSERT INTO m VALUES (1);\n",
    ]

    /// No CRLF case here: the `sqlite3` shell's line reader drops the CR of every CRLF, even inside a
    /// string literal, while mig runs the file's bytes as written, as SQLite's API and psql do
    /// (`ScriptTextTests` covers that).
    static let sqlite: [String: String] = [
        "triggers_and_comments": """
        CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER, note TEXT);
        CREATE TABLE log (msg TEXT);
        /* a comment; with /* no nesting */
        CREATE TRIGGER a_log AFTER INSERT ON a BEGIN
          INSERT INTO log VALUES ('inserted; ' || NEW.id);
          UPDATE a SET n = CASE WHEN NEW.n > 0 THEN NEW.n ELSE 1 END WHERE id = NEW.id;
        END;
        INSERT INTO a (id, n, note) VALUES (1, 0, 'x;y'), (2, 5, "z");
        SELECT [weird;name] FROM (SELECT 1 AS [weird;name]);
        """,
        "begin_column": "CREATE TABLE t (begin INTEGER, \"end\" INTEGER);\nINSERT INTO t VALUES (1, 2);\n",
        "own_transaction": "BEGIN;\nCREATE TABLE users (id INTEGER);\nINSERT INTO users VALUES (1);\nCOMMIT;\n",
        "rollback_mid_file":
            "CREATE TABLE kept (id INTEGER);\nBEGIN;\nCREATE TABLE undone (id INTEGER);\nROLLBACK;\nINSERT INTO kept VALUES (7);\n",
        "nul_byte": "CREATE TABLE n1 (id INTEGER);\n\u{0}\nCREATE TABLE n2 (id INTEGER);\n",
    ]
}

/// Runs a program and returns its exit status and standard output.
private func runProgram(_ path: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.postgres) struct PostgresDifferentialTests {
    static let binaries = ProcessInfo.processInfo.environment["MIG_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"

    private func dump(_ database: PostgresTestDatabase) throws -> String {
        let (_, text) = try runProgram(
            "\(Self.binaries)/pg_dump",
            ["--no-owner", "--no-privileges", "--exclude-table=mig_*", "-d", database.url])
        return text.split(separator: "\n").filter { !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    @Test(arguments: DifferentialCorpus.postgres.keys.sorted())
    func migAgreesWithPsql(name: String) throws {
        let sql = try #require(DifferentialCorpus.postgres[name])
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        try scratch.write("db/migrations/0001_\(name).up.sql", bytes: Array(sql.utf8))
        let empty = try PostgresTestDatabase()
        let withMig = try PostgresTestDatabase()
        let withPsql = try PostgresTestDatabase()
        let up = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": withMig.url])
        if up.status == 0 {
            let file = scratch.url.appending(path: "db/migrations/0001_\(name).up.sql").path
            let (status, _) = try runProgram(
                "\(Self.binaries)/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", withPsql.url, "-f", file])
            #expect(status == 0, "psql could not run what mig ran")
            #expect(try dump(withMig) == dump(withPsql))
        } else {
            #expect(up.stderr.contains("0001_\(name).up.sql"), "\(up.stderr)")
            #expect(try dump(withMig) == dump(empty), "mig refused \(name) but changed the database")
        }
    }
}

@Suite struct SQLiteDifferentialTests {
    private func dump(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        _ = try runProgram("/usr/bin/sqlite3", [path, "DROP TABLE IF EXISTS mig_history; DROP TABLE IF EXISTS mig_history_events"])
        return try runProgram("/usr/bin/sqlite3", [path, ".dump"]).1
    }

    @Test(arguments: DifferentialCorpus.sqlite.keys.sorted())
    func migAgreesWithTheSQLiteShell(name: String) throws {
        let sql = try #require(DifferentialCorpus.sqlite[name])
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\n")
        try scratch.write("db/migrations/0001_\(name).up.sql", bytes: Array(sql.utf8))
        let up = try MigProcess.run(["up"], in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:mig.db"])
        let migDump = try dump(scratch.url.appending(path: "mig.db").path)
        if up.status == 0 {
            let shell = scratch.url.appending(path: "shell.db").path
            let file = scratch.url.appending(path: "db/migrations/0001_\(name).up.sql").path
            let (status, _) = try runProgram("/usr/bin/sqlite3", ["-bail", shell, ".read '\(file)'"])
            #expect(status == 0, "the sqlite3 shell could not run what mig ran")
            #expect(migDump == (try dump(shell)))
        } else {
            #expect(up.stderr.contains("0001_\(name).up.sql"), "\(up.stderr)")
            #expect(!migDump.contains("CREATE TABLE"), "mig refused \(name) but changed the database")
        }
    }
}
