import Testing

@testable import MigKit

/// Splitting and classifying that holds for both dialects' readers.
@Suite struct SQLReaderTests {
    static let readers: [any SQLReader] = [PostgresSQLReader(), SQLiteSQLReader()]

    @Test(arguments: readers) func splitsOnSemicolonsWithLines(reader: any SQLReader) throws {
        let statements = try reader.read("CREATE TABLE a (id int);\n\n  INSERT INTO a VALUES (1);\nSELECT 1").statements
        #expect(statements.map(\.text) == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)", "SELECT 1"])
        #expect(statements.map(\.startLine) == [1, 3, 4])
    }

    @Test(arguments: readers) func keepsSemicolonsInStringsIdentifiersAndComments(reader: any SQLReader) throws {
        let sql = """
            INSERT INTO t VALUES ('a;b', 'it''s;');
            SELECT "odd;""name" FROM t; -- trailing; comment
            /* comment; */ SELECT 2;
            """
        #expect(
            try reader.read(sql).statements.map(\.text) == [
                "INSERT INTO t VALUES ('a;b', 'it''s;')", #"SELECT "odd;""name" FROM t"#, "SELECT 2",
            ])
    }

    @Test(arguments: readers) func linesCountAfterMultiLineStrings(reader: any SQLReader) throws {
        let sql = "INSERT INTO t VALUES ('a\nb\nc');\n/* x\ny */\nSELECT 'é';\nSELECT 3;"
        #expect(try reader.read(sql).statements.map(\.startLine) == [1, 6, 7])
    }

    @Test(arguments: readers) func dropsEmptyAndCommentOnlyStatements(reader: any SQLReader) throws {
        #expect(try reader.read(";;  -- nothing\n/* still nothing */;\n").statements.isEmpty)
    }

    @Test(arguments: readers) func findsTopLevelTransactionControl(reader: any SQLReader) throws {
        #expect(try reader.read("BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;").transactionControl?.startLine == 1)
        #expect(try reader.read("CREATE TABLE a (id int);\nROLLBACK;").transactionControl?.startLine == 2)
        #expect(try reader.read("CREATE TABLE a (id int);\nEND;").transactionControl?.startLine == 2)
        // Savepoints nest inside mig's transaction.
        #expect(
            try reader.read("SAVEPOINT s; CREATE TABLE a (id int); ROLLBACK TO SAVEPOINT s; RELEASE s;")
                .transactionControl == nil)
        #expect(try reader.read("CREATE TABLE a (id int);").transactionControl == nil)
    }

    @Test(arguments: readers) func aColumnNamedBeginIsNotTransactionControl(reader: any SQLReader) throws {
        let script = try reader.read(
            "CREATE TABLE t (begin int, \"end\" int);\nINSERT INTO t VALUES (1, 2);\nSELECT 3;")
        #expect(script.statements.count == 3)
        #expect(script.transactionControl == nil)
    }

    @Test(arguments: readers) func digestsDifferWhenTextDiffers(reader: any SQLReader) throws {
        let first = try reader.read("SELECT 1; SELECT 2").statements
        #expect(first[0].digest != first[1].digest)
        #expect(first[0].digest == (try reader.read("  SELECT 1  ;").statements[0].digest))
    }
}

/// PostgreSQL's reader is PostgreSQL's parser: the cases a hand-written lexer got wrong.
@Suite struct PostgresSQLReaderTests {
    let reader = PostgresSQLReader()

    @Test func keepsDollarQuotedBodiesNestedCommentsAndEscapeStringsWhole() throws {
        let sql = """
            CREATE FUNCTION f() RETURNS int AS $body$
            BEGIN
              PERFORM 1; RETURN $$x;$$::text::int;
            END $body$ LANGUAGE plpgsql;
            /* outer /* nested; */ still; comment */ SELECT $1, a$b;
            SELECT E'back\\';slash';
            """
        let statements = try reader.read(sql).statements
        #expect(statements.count == 3)
        #expect(statements[0].text.hasSuffix("LANGUAGE plpgsql"))
        #expect(statements[1].text == "SELECT $1, a$b")
        #expect(statements[1].startLine == 5)
        #expect(statements[2].text == #"SELECT E'back\';slash'"#)
    }

    @Test func anUnterminatedCommentIsAnErrorWithItsLine() {
        let error = #expect(throws: SQLReadError.self) {
            try reader.read("CREATE TABLE a (id int);\n\n/* never closed\nCREATE TABLE b (id int);")
        }
        #expect(error?.line == 3)
        #expect(error?.message.contains("unterminated /* comment") == true)
        #expect(error?.message.contains("PostgreSQL 15") == true)
    }

    @Test func aSyntaxErrorNamesItsLineCountingCharactersNotBytes() {
        let error = #expect(throws: SQLReadError.self) { try reader.read("SELECT 'ééé';\nSELECT 'ü' FROM;") }
        #expect(error?.line == 2)
    }

    @Test func keepsRuleActionsInParenthesesWhole() throws {
        let sql =
            "CREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (1); INSERT INTO c VALUES (2));\nSELECT 1;"
        let statements = try reader.read(sql).statements
        #expect(statements.count == 2)
        #expect(statements[0].text.hasSuffix("INSERT INTO c VALUES (2))"))
    }

    @Test func refusesTurningStandardConformingStringsOff() throws {
        // Off, the server would read 'a\'; b' as one string where the parser (on) reads two statements.
        for setting in ["off", "false", "'off'", "0"] {
            let error = #expect(throws: SQLReadError.self) {
                try reader.read(
                    "CREATE TABLE s (v text);\nSET standard_conforming_strings = \(setting);\nINSERT INTO s VALUES ('a\\'; b');"
                )
            }
            #expect(error?.line == 2)
        }
        #expect(
            try reader.read("SET standard_conforming_strings = on;\nSET standard_conforming_strings TO DEFAULT;")
                .statements.count == 2)
    }

    @Test func classifiesStatementsThatCannotRunInATransaction() throws {
        let cases = [
            "CREATE INDEX CONCURRENTLY i ON t (a)": "CREATE INDEX CONCURRENTLY",
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)": "CREATE INDEX CONCURRENTLY",
            "DROP INDEX CONCURRENTLY i": "DROP INDEX CONCURRENTLY",
            "REINDEX INDEX CONCURRENTLY i": "REINDEX CONCURRENTLY",
            "VACUUM t": "VACUUM",
            "ALTER SYSTEM SET work_mem = '8MB'": "ALTER SYSTEM",
            "CREATE DATABASE d": "CREATE DATABASE",
            "DROP DATABASE d": "DROP DATABASE",
            "CREATE TABLESPACE s LOCATION '/x'": "CREATE TABLESPACE",
        ]
        for (sql, name) in cases {
            #expect(try reader.read(sql).firstNonTransactional?.name == name, "\(sql)")
        }
        for sql in [
            "CREATE INDEX i ON t (a)", "ANALYZE t", "DROP INDEX i", "ALTER TYPE e ADD VALUE 'x'", "REINDEX INDEX i",
        ] {
            #expect(try reader.read(sql).firstNonTransactional == nil, "\(sql)")
        }
    }

    @Test func classifiesEveryFormOfTransactionControl() throws {
        for sql in [
            "BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT", "COMMIT AND CHAIN",
            "PREPARE TRANSACTION 'x'",
        ] {
            #expect(try reader.read(sql).transactionControl != nil, "\(sql)")
        }
        #expect(try reader.read("PREPARE q AS SELECT 1").transactionControl == nil)
    }

    @Test func readsCopyFromStdinDataAsPsqlDoes() throws {
        let sql = "CREATE TABLE t (a int, b text);\nCOPY t (a, b) FROM stdin;\n1\tone;two\n2\t'quote\n\\.\nSELECT 3;\n"
        let statements = try reader.read(sql).statements
        #expect(statements.map(\.startLine) == [1, 2, 6])
        #expect(statements[1].kind == .copyFromStdin(data: "1\tone;two\n2\t'quote\n"))
        // Data that happens to parse as SQL is still data.
        let sneaky = try reader.read("COPY t FROM stdin;\nSELECT 1;\n\\.\n").statements
        #expect(sneaky.count == 1)
        #expect(sneaky[0].kind == .copyFromStdin(data: "SELECT 1;\n"))
        // The end of the file ends the data too.
        #expect(try reader.read("COPY t FROM STDIN;\n1\n").statements[0].kind == .copyFromStdin(data: "1\n"))
    }

    @Test func refusesCopyToStdoutAndPsqlMetaCommands() {
        let copy = #expect(throws: SQLReadError.self) { try reader.read("SELECT 1;\nCOPY t TO STDOUT;") }
        #expect(copy?.line == 2)
        let include = #expect(throws: SQLReadError.self) { try reader.read("SELECT 1;\n\n\\i other.sql\nSELECT 2;") }
        #expect(include?.line == 3)
        #expect(include?.message.contains("\\i") == true)
        #expect(throws: SQLReadError.self) { try reader.read("\\set x 1\nSELECT :x;") }
    }

    @Test func refusesANulByteWithItsLine() {
        let error = #expect(throws: SQLReadError.self) {
            try reader.read("CREATE TABLE a (id int);\n\0\nCREATE TABLE b (id int);")
        }
        #expect(error?.line == 2)
    }

    @Test func gooseStatementBlocksStayOneStatement() throws {
        let sql = """
            -- +goose StatementBegin
            CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
            -- +goose StatementEnd
            SELECT 3;
            """
        let statements = try reader.read(sql).statements
        #expect(statements.map(\.startLine) == [2, 4])
        #expect(statements[0].text.hasSuffix("END"))
    }
}

/// SQLite's reader follows `sqlite3_complete()`: trigger bodies, non-nesting comments.
@Suite struct SQLiteSQLReaderTests {
    let reader = SQLiteSQLReader()

    @Test func keepsTriggerBodiesWhole() throws {
        let sql = """
            CREATE TRIGGER t AFTER INSERT ON a BEGIN
              UPDATE b SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;
              INSERT INTO c VALUES (1);
            END;
            CREATE TEMP TRIGGER u AFTER DELETE ON a BEGIN DELETE FROM b; END;
            BEGIN;
            SELECT 2;
            """
        let script = try reader.read(sql)
        #expect(script.statements.count == 4)
        #expect(script.statements[0].text.hasSuffix("END"))
        #expect(script.statements.map(\.startLine) == [1, 5, 6, 7])
        #expect(script.transactionControl?.startLine == 6)
    }

    @Test func commentsDoNotNestAndQuotesComeInFourKinds() throws {
        let sql = "/* a /* b */ SELECT 1; SELECT [x;y], `p;q` FROM t;\nSELECT 2;"
        #expect(try reader.read(sql).statements.map(\.text) == ["SELECT 1", "SELECT [x;y], `p;q` FROM t", "SELECT 2"])
    }

    @Test func classifiesVacuumAndSavepoints() throws {
        #expect(try reader.read("VACUUM;").firstNonTransactional?.name == "VACUUM")
        #expect(try reader.read("ROLLBACK TRANSACTION TO s;").transactionControl == nil)
        #expect(try reader.read("ROLLBACK TRANSACTION;").transactionControl != nil)
    }
}

/// SQLite's own rules where they differ from PostgreSQL's.
@Suite struct SQLiteSQLReaderEdgeTests {
    let reader = SQLiteSQLReader()

    @Test func anUnterminatedCommentRunsToTheEndAsInSQLite() throws {
        let statements = try reader.read("CREATE TABLE a (id int);\n/* open\nCREATE TABLE b (id int);").statements
        #expect(statements.map(\.text) == ["CREATE TABLE a (id int)"])
    }

    @Test func doubledQuotesStayInsideTheirString() throws {
        let statements = try reader.read("INSERT INTO t VALUES ('it''s; here');\nSELECT \"a\"\"b;\";").statements
        #expect(statements.map(\.startLine) == [1, 2])
        #expect(statements[0].text == "INSERT INTO t VALUES ('it''s; here')")
    }
}
