import Testing

@testable import MigKit

@Suite struct StatementSplitterTests {
    private func texts(_ sql: String) -> [String] { StatementSplitter.split(sql).map(\.text) }

    @Test func splitsOnSemicolonsWithLines() {
        let statements = StatementSplitter.split("CREATE TABLE a (id int);\n\n  INSERT INTO a VALUES (1);\nSELECT 1")
        #expect(statements.map(\.text) == ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)", "SELECT 1"])
        #expect(statements.map(\.startLine) == [1, 3, 4])
    }

    @Test func keepsSemicolonsInStringsIdentifiersAndComments() {
        let sql = """
            INSERT INTO t VALUES ('a;b', 'it''s;');
            SELECT "odd;""name" FROM t; -- trailing; comment
            /* outer /* nested; */ still; comment */ SELECT 2;
            SELECT E'back\\';slash';
            """
        #expect(
            texts(sql) == [
                "INSERT INTO t VALUES ('a;b', 'it''s;')", #"SELECT "odd;""name" FROM t"#, "SELECT 2",
                #"SELECT E'back\';slash'"#,
            ])
    }

    @Test func keepsDollarQuotedBodiesWhole() {
        let sql = """
            CREATE FUNCTION f() RETURNS int AS $body$
            BEGIN
              PERFORM 1; RETURN $$x;$$::text::int;
            END $body$ LANGUAGE plpgsql;
            SELECT $1, a$b;
            """
        let statements = StatementSplitter.split(sql)
        #expect(statements.count == 2)
        #expect(statements[0].text.hasSuffix("LANGUAGE plpgsql"))
        #expect(statements[1].text == "SELECT $1, a$b")
        #expect(statements[1].startLine == 5)
    }

    @Test func treatsPlainStringsBackslashAsLiteral() {
        #expect(texts(#"SELECT 'a\'; SELECT 2;"#) == [#"SELECT 'a\'"#, "SELECT 2"])
    }

    @Test func honoursGooseStatementBlocks() {
        let sql = """
            -- +goose StatementBegin
            CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
            -- +goose StatementEnd
            SELECT 3;
            """
        let statements = StatementSplitter.split(sql)
        #expect(statements.map(\.startLine) == [2, 4])
        #expect(statements[0].text.hasSuffix("END;"))
    }

    @Test func dropsEmptyAndCommentOnlyStatements() {
        #expect(texts(";;  -- nothing\n/* still nothing */;\n") == [])
    }

    @Test func digestsDifferWhenTextDiffers() {
        let first = StatementSplitter.split("SELECT 1; SELECT 2")
        #expect(first[0].digest != first[1].digest)
        #expect(first[0].digest == StatementSplitter.split("  SELECT 1  ;")[0].digest)
    }
}

@Suite struct StatementSplitterBodyTests {
    @Test func keepsBeginEndBodiesOfCreateStatementsWhole() {
        let sql = """
            CREATE TRIGGER t AFTER INSERT ON a BEGIN
              UPDATE b SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;
              INSERT INTO c VALUES (1);
            END;
            CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;
            BEGIN;
            SELECT 2;
            """
        let statements = StatementSplitter.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].text.hasSuffix("END"))
        #expect(statements[1].text.hasPrefix("CREATE FUNCTION"))
        #expect(statements.map(\.startLine) == [1, 5, 6, 7])
    }
}
