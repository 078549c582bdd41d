import Foundation
import MigKit
import Testing

/// Lints `sql` as the up script of one PostgreSQL migration; every table it does not create exists.
func lintRules(_ sql: String, configure: (inout Configuration) -> Void = { _ in }) -> [LintRule] {
    lintDiagnostics(sql, configure: configure).compactMap(\.rule)
}

func lintDiagnostics(_ sql: String, configure: (inout Configuration) -> Void = { _ in }) -> [Diagnostic] {
    var configuration = Configuration()
    configuration.migrations.dialect = .postgres
    configure(&configuration)
    let script = Script(path: "0002_change.sql", startLine: 1, sql: sql)
    return MigrationLinter(configuration: configuration)
        .lint([LintTarget(script: script, path: "db/migrations/0002_change.sql", isNewOnBranch: true)])
}

/// One rule, a script on which it must fire and a near miss on which it must not.
struct RuleCase: CustomTestStringConvertible, Sendable {
    let rule: LintRule
    let fires: String
    let nearMiss: String
    var testDescription: String { rule.rawValue }
}

@Suite struct LintRuleTests {
    static let cases: [RuleCase] = [
        RuleCase(
            rule: .requireConcurrentIndexCreation, fires: "CREATE INDEX users_email_idx ON users (email);",
            nearMiss: "CREATE TABLE users (id bigint, email text);\nCREATE INDEX users_email_idx ON users (email);"),
        RuleCase(
            rule: .requireConcurrentIndexDeletion, fires: "DROP INDEX users_email_idx;",
            nearMiss: "-- mig:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS users_email_idx;"),
        RuleCase(
            rule: .requireConcurrentReindex, fires: "REINDEX INDEX users_email_idx;",
            nearMiss: "-- mig:no-transaction\nREINDEX INDEX CONCURRENTLY users_email_idx;"),
        RuleCase(
            rule: .banConcurrentIndexCreationInTransaction,
            fires: "BEGIN;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\nCOMMIT;",
            nearMiss: "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);"),
        RuleCase(
            rule: .addingFieldWithDefault, fires: "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            nearMiss: "ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();"),
        RuleCase(
            rule: .changingColumnType, fires: "ALTER TABLE users ALTER COLUMN name TYPE text;",
            nearMiss: "CREATE TABLE users (name varchar);\nALTER TABLE users ALTER COLUMN name TYPE text;"),
        RuleCase(
            rule: .addingNotNullableField, fires: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            nearMiss: """
                ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
                ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
                ALTER TABLE users ALTER COLUMN email SET NOT NULL;
                """),
        RuleCase(
            rule: .addingForeignKeyConstraint,
            fires: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
            nearMiss:
                "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;"
        ),
        RuleCase(
            rule: .constraintMissingNotValid, fires: "ALTER TABLE users ADD CONSTRAINT users_age CHECK (age > 0);",
            nearMiss: "ALTER TABLE users ADD CONSTRAINT users_age CHECK (age > 0) NOT VALID;"),
        RuleCase(
            rule: .disallowedUniqueConstraint,
            fires: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
            nearMiss: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;"),
        RuleCase(
            rule: .addingPrimaryKeyConstraint, fires: "ALTER TABLE users ADD PRIMARY KEY (id);",
            nearMiss: "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id_idx;"),
        RuleCase(rule: .banVacuumFull, fires: "VACUUM FULL users;", nearMiss: "VACUUM users;"),
        RuleCase(
            rule: .banCluster, fires: "CLUSTER users USING users_pkey;",
            nearMiss: "CREATE TABLE users (id bigint);\nCLUSTER users USING users_pkey;"),
        RuleCase(
            rule: .requireConcurrentDetachPartition, fires: "ALTER TABLE events DETACH PARTITION events_2020;",
            nearMiss: "-- mig:no-transaction\nALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;"),
        RuleCase(
            rule: .renamingColumn, fires: "ALTER TABLE users RENAME COLUMN name TO full_name;",
            nearMiss: "CREATE TABLE users (name text);\nALTER TABLE users RENAME COLUMN name TO full_name;"),
        RuleCase(
            rule: .renamingTable, fires: "ALTER TABLE users RENAME TO people;",
            nearMiss: "CREATE TABLE users (id bigint);\nALTER TABLE users RENAME TO people;"),
        RuleCase(
            rule: .banDropColumn, fires: "ALTER TABLE users DROP COLUMN name;",
            nearMiss: "CREATE TABLE users (name text);\nALTER TABLE users DROP COLUMN name;"),
        RuleCase(
            rule: .banDropTable, fires: "DROP TABLE users;",
            nearMiss: "CREATE TABLE scratch (id bigint);\nDROP TABLE scratch;"),
        RuleCase(
            rule: .banDropNotNull, fires: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
            nearMiss: "CREATE TABLE users (email text NOT NULL);\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;"),
        RuleCase(
            rule: .addingRequiredField, fires: "ALTER TABLE users ADD COLUMN age integer NOT NULL;",
            nearMiss: "ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0;"),
        RuleCase(
            rule: .changingEnumOrder, fires: "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'happy';",
            nearMiss: "ALTER TYPE mood ADD VALUE 'meh';"),
        RuleCase(
            rule: .renamingEnumValue, fires: "ALTER TYPE mood RENAME VALUE 'sad' TO 'unhappy';",
            nearMiss: "ALTER TYPE mood ADD VALUE 'unhappy';"),
        RuleCase(rule: .renamingSchema, fires: "ALTER SCHEMA app RENAME TO core;", nearMiss: "CREATE SCHEMA core;"),
        RuleCase(
            rule: .banUpdateWithoutWhere, fires: "UPDATE users SET active = true;",
            nearMiss: "UPDATE users SET active = true WHERE id BETWEEN 1 AND 1000;"),
        RuleCase(
            rule: .banDeleteWithoutWhere, fires: "DELETE FROM sessions;",
            nearMiss: "DELETE FROM sessions WHERE expires_at < now();"),
        RuleCase(rule: .banTruncateCascade, fires: "TRUNCATE users CASCADE;", nearMiss: "TRUNCATE users;"),
        RuleCase(
            rule: .preferTimestamptz, fires: "CREATE TABLE events (at timestamp);",
            nearMiss: "CREATE TABLE events (at timestamptz);"),
        RuleCase(
            rule: .banCharField, fires: "CREATE TABLE codes (code char(2));",
            nearMiss: "CREATE TABLE codes (code text);"),
        RuleCase(
            rule: .preferTextField, fires: "CREATE TABLE people (name varchar(100));",
            nearMiss: "CREATE TABLE people (name text CHECK (char_length(name) <= 100), nick varchar);"),
        RuleCase(
            rule: .preferIdentity, fires: "CREATE TABLE people (id bigserial PRIMARY KEY);",
            nearMiss: "CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"),
        RuleCase(
            rule: .preferBigintOverInt, fires: "CREATE TABLE people (id integer PRIMARY KEY);",
            nearMiss: "CREATE TABLE people (id bigint PRIMARY KEY, visits integer);"),
        RuleCase(
            rule: .preferJsonb, fires: "CREATE TABLE docs (body json);", nearMiss: "CREATE TABLE docs (body jsonb);"),
        RuleCase(
            rule: .identifierTooLong, fires: "CREATE TABLE \(String(repeating: "t", count: 64)) (id bigint);",
            nearMiss: "CREATE TABLE \(String(repeating: "t", count: 63)) (id bigint);"),
        RuleCase(
            rule: .preferRobustStmts,
            fires: "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
            nearMiss: "-- mig:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);"
        ),
        RuleCase(
            rule: .transactionNotCommitted, fires: "BEGIN;\nCREATE TABLE t (id bigint);",
            nearMiss: "BEGIN;\nCREATE TABLE t (id bigint);\nCOMMIT;"),
        RuleCase(rule: .syntaxError, fires: "CREATE TABLE (;", nearMiss: "CREATE TABLE t (id bigint);"),
        RuleCase(
            rule: .invalidLintIgnore, fires: "-- mig:lint-ignore ban-drop-column\nALTER TABLE users DROP COLUMN name;",
            nearMiss:
                "-- mig:lint-ignore ban-drop-column release 42 stopped reading it\nALTER TABLE users DROP COLUMN name;"),
    ]

    @Test(arguments: cases) func firesAndSparesTheNearMiss(_ rule: RuleCase) {
        #expect(lintRules(rule.fires).contains(rule.rule), "must fire")
        #expect(!lintRules(rule.nearMiss).contains(rule.rule), "must not fire")
    }

    @Test func everyRuleHasACase() {
        let covered = Set((Self.cases + Self.sqliteCases).map(\.rule)).union([.requireTimeoutSettings])
        #expect(Set(LintRule.allCases).subtracting(covered).isEmpty)
    }

    @Test func aMissingLockTimeoutFiresOnlyWhenMigDoesNotSetOne() {
        let noTimeout: (inout Configuration) -> Void = { $0.database.lockTimeout = nil }
        #expect(lintRules("ALTER TABLE users ADD COLUMN note text;", configure: noTimeout) == [.requireTimeoutSettings])
        #expect(
            lintRules("SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN note text;", configure: noTimeout).isEmpty
        )
        #expect(
            lintRules("CREATE TABLE notes (id bigint);\nALTER TABLE notes ADD COLUMN body text;", configure: noTimeout)
                .isEmpty)
        #expect(lintRules("ALTER TABLE users ADD COLUMN note text;").isEmpty)
    }

    /// Rewriting every row is only a risk for rows that exist: not for a table this migration creates.
    @Test func rowRulesSpareATableTheMigrationCreates() {
        let rows = "UPDATE flags SET active = true;\nDELETE FROM flags;"
        let rules: Set<LintRule> = [.banUpdateWithoutWhere, .banDeleteWithoutWhere]
        #expect(rules.isSubset(of: lintRules(rows)))
        let create = "CREATE TABLE flags (id bigint PRIMARY KEY, active boolean);\n"
        #expect(rules.isDisjoint(with: lintRules(create + rows)))
    }

    /// Only names count: a long string or comment is no finding, a long quoted name is, and a
    /// doubled quote inside it counts once.
    @Test func longNamesAreFoundOutsideStringsAndComments() {
        let long = String(repeating: "n", count: 62)
        #expect(
            lintRules("CREATE TABLE t (id bigint, note text DEFAULT '\(long)\(long)'); -- \(long)\(long)\n").isEmpty)
        #expect(lintRules("CREATE TABLE \"\(long)\"\"x\" (id bigint);") == [.identifierTooLong])
        #expect(
            lintDiagnostics("CREATE TABLE \"\(long)\"\"x\" (id bigint);").first?.message.hasPrefix(
                "the name \(long)\"x has 64 bytes; PostgreSQL keeps 63") == true)
        #expect(lintRules("CREATE TABLE \"\(long)\"\"\" (id bigint);").isEmpty, "63 bytes once unescaped")
    }

    /// Names reach the findings as written, whatever the parse tree's JSON had to escape in them.
    @Test func quotedNamesKeepQuotesBackslashesTabsAndNonASCII() throws {
        let diagnostics = lintDiagnostics("ALTER TABLE \"we\"\"ird\\\té😀\" RENAME COLUMN a TO b;")
        let finding = try #require(diagnostics.first { $0.rule == .renamingColumn })
        #expect(finding.message.hasPrefix("RENAME COLUMN we\"ird\\\té😀.a to b"))
    }

    @Test func aDefaultRewritesBeforePostgres11() {
        let sql = "ALTER TABLE users ADD COLUMN active boolean DEFAULT true;"
        #expect(lintRules(sql) == [])
        #expect(lintRules(sql) { $0.lint.postgresVersion = 10 } == [.addingFieldWithDefault])
    }

    @Test func findingsNameTheLineOfTheFileWithWhyAndFix() throws {
        var configuration = Configuration()
        configuration.migrations.dialect = .postgres
        let script = Script(
            path: "0002_change.sql", startLine: 2, sql: "\nCREATE INDEX users_email_idx\n  ON users (email);\n")
        let diagnostics = MigrationLinter(configuration: configuration)
            .lint([LintTarget(script: script, path: "db/migrations/0002_change.sql", isNewOnBranch: true)])
        let finding = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(finding.code == .lint)
        #expect(finding.rule == .requireConcurrentIndexCreation)
        #expect(finding.severity == .error)
        #expect(finding.location == SourceLocation(path: "db/migrations/0002_change.sql", line: 3))
        #expect(
            finding.message.contains("CREATE INDEX on users, which exists before this branch, without CONCURRENTLY: "))
        #expect(finding.hint?.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS") == true)
    }

    @Test func aSyntaxErrorNamesItsLineAndTheParsersMessage() throws {
        let finding = try #require(lintDiagnostics("CREATE TABLE t (id bigint);\n\nALTER TABLE t ADD COLUMN;\n").first)
        #expect(finding.rule == .syntaxError)
        #expect(finding.location?.line == 3)
        #expect(finding.message.contains("syntax error at or near \";\""))
    }

    static let sqliteCases: [RuleCase] = [
        RuleCase(
            rule: .sqliteUnsupportedAlterTable, fires: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
            nearMiss: "ALTER TABLE users ADD COLUMN email TEXT;"),
        RuleCase(
            rule: .sqliteUnsupportedAlterTable, fires: "ALTER TABLE main.users ADD CONSTRAINT u UNIQUE (email);",
            nearMiss: "ALTER TABLE main.users RENAME COLUMN mail TO email;"),
        RuleCase(
            rule: .sqliteForeignKeysOff, fires: "PRAGMA foreign_keys = OFF;\nDROP TABLE old_users;",
            nearMiss:
                "-- mig:no-transaction\nPRAGMA foreign_keys = OFF;\nDROP TABLE old_users;\nPRAGMA foreign_key_check;"),
        RuleCase(
            rule: .sqliteForeignKeysOff,
            fires: "-- mig:no-transaction\nPRAGMA foreign_keys = 0;\nALTER TABLE new_users RENAME TO users;",
            nearMiss: "PRAGMA foreign_keys = ON;"),
        RuleCase(
            rule: .sqliteRebuildLosesColumn,
            fires: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
                CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT);
                INSERT INTO new_users (id) SELECT id FROM users;
                DROP TABLE users;
                ALTER TABLE new_users RENAME TO users;
                """,
            nearMiss: """
                CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
                CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT);
                INSERT INTO new_users (id, email) SELECT id, email FROM users;
                DROP TABLE users;
                ALTER TABLE new_users RENAME TO users;
                """),
    ]

    @Test(arguments: sqliteCases) func sqliteRulesFireAndSpareTheNearMiss(_ rule: RuleCase) {
        let sqlite: (inout Configuration) -> Void = { $0.migrations.dialect = .sqlite }
        #expect(lintRules(rule.fires, configure: sqlite) == [rule.rule], "must fire")
        #expect(lintRules(rule.nearMiss, configure: sqlite).isEmpty, "must not fire")
    }

    @Test func postgresRulesDoNotApplyToSQLite() {
        #expect(lintRules("CREATE INDEX i ON users (email);") { $0.migrations.dialect = .sqlite }.isEmpty)
    }
}
