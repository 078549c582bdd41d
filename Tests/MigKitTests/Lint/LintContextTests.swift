import Foundation
import MigKit
import Testing

/// Suppressions, `[lint]` levels, and what earlier migrations of the branch tell the rules.
@Suite struct LintContextTests {
    @Test func anIgnoreAboveAStatementSilencesOnlyThatStatement() {
        let sql = """
            -- mig:lint-ignore ban-drop-column,renaming-column release 42 no longer reads them
            ALTER TABLE users DROP COLUMN nickname;
            ALTER TABLE users DROP COLUMN legacy;
            """
        let diagnostics = lintDiagnostics(sql)
        #expect(diagnostics.map(\.rule) == [.banDropColumn])
        #expect(diagnostics.first?.location?.line == 3)
    }

    @Test func anIgnoreAtTheTopFollowedByABlankLineCoversTheFile() {
        let sql = """
            -- mig:lint-ignore ban-drop-column contract step of 0001_split_name, code shipped in 4.2

            ALTER TABLE users DROP COLUMN first_name;
            ALTER TABLE users DROP COLUMN last_name;
            """
        #expect(lintRules(sql).isEmpty)
    }

    @Test func anIgnoreWithoutReasonOrWithAnUnknownRuleIsAFindingAndSilencesNothing() {
        #expect(
            lintRules("-- mig:lint-ignore ban-drop-column\nALTER TABLE users DROP COLUMN a;").sorted {
                $0.rawValue < $1.rawValue
            }
                == [.banDropColumn, .invalidLintIgnore])
        let unknown = lintDiagnostics("-- mig:lint-ignore no-such-rule because\nALTER TABLE users DROP COLUMN a;")
        #expect(unknown.compactMap(\.rule).contains(.invalidLintIgnore))
        #expect(unknown.contains { $0.message.contains("the unknown rule no-such-rule") })
        let dangling = lintDiagnostics(
            "CREATE TABLE t (id bigint);\n-- mig:lint-ignore ban-drop-column reason\n\nSELECT 1;")
        #expect(dangling.compactMap(\.rule) == [.invalidLintIgnore])
    }

    @Test func configurationTurnsRulesOffOrRaisesThem() {
        let sql = "CREATE TABLE events (at timestamp, code char(2));"
        #expect(lintDiagnostics(sql).map(\.severity) == [.warning, .warning])
        let adjusted = lintDiagnostics(sql) {
            $0.lint.levels = [.preferTimestamptz: .error, .banCharField: .off]
        }
        #expect(adjusted.map(\.rule) == [.preferTimestamptz])
        #expect(adjusted.map(\.severity) == [.error])
    }

    @Test func tablesCreatedByAnEarlierMigrationOfTheBranchAreNotExisting() {
        var configuration = Configuration()
        configuration.migrations.dialect = .postgres
        let create = Script(path: "0002_orders.sql", startLine: 1, sql: "CREATE TABLE orders (id bigint);")
        let index = Script(path: "0003_index.sql", startLine: 1, sql: "CREATE INDEX orders_id_idx ON orders (id);")
        let linter = MigrationLinter(configuration: configuration)
        let onBranch = linter.lint([
            LintTarget(script: create, path: "a", isLinted: false, isNewOnBranch: true),
            LintTarget(script: index, path: "b", isNewOnBranch: true),
        ])
        #expect(onBranch.isEmpty)
        let alreadyMerged = linter.lint([
            LintTarget(script: create, path: "a", isNewOnBranch: false),
            LintTarget(script: index, path: "b", isNewOnBranch: true),
        ])
        #expect(alreadyMerged.compactMap(\.rule) == [.requireConcurrentIndexCreation])
    }

    @Test func aValidatedCheckInAnEarlierMigrationLetsSetNotNullSkipItsScan() {
        var configuration = Configuration()
        configuration.migrations.dialect = .postgres
        let check = Script(
            path: "0002.sql", startLine: 1,
            sql: "ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;")
        let validate = Script(path: "0003.sql", startLine: 1, sql: "ALTER TABLE users VALIDATE CONSTRAINT email_nn;")
        let enforce = Script(path: "0004.sql", startLine: 1, sql: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;")
        let targets = [check, validate, enforce].map { LintTarget(script: $0, path: $0.path, isNewOnBranch: true) }
        #expect(MigrationLinter(configuration: configuration).lint(targets).isEmpty)
        #expect(
            MigrationLinter(configuration: configuration).lint([targets[0], targets[2]]).compactMap(\.rule) == [
                .addingNotNullableField
            ])
    }

    /// Every built-in PostgreSQL template's up script passes, and an expand/contract template's
    /// contract step passes too: on the branch of its expand step, and on a later branch.
    @Test func theBuiltInPostgresTemplatesPassTheLint() throws {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Golden")
        let files = try FileManager.default.contentsOfDirectory(atPath: golden.path).filter {
            $0.hasSuffix(".postgres.sql")
        }
        #expect(files.count >= 5)
        var configuration = Configuration()
        configuration.migrations.dialect = .postgres
        let linter = MigrationLinter(configuration: configuration)
        for file in files {
            let text = try MigrationText(rendered: try String(contentsOf: golden.appending(path: file), encoding: .utf8))
            let expand = Script(path: "0002_expand.sql", startLine: 1, sql: text.up)
            #expect(lintDiagnostics(text.up).isEmpty, "\(file): \(lintDiagnostics(text.up).map(\.message))")
            guard !text.contract.isEmpty else { continue }
            let contract = LintTarget(
                script: Script(path: "0003_contract.sql", startLine: 1, sql: text.contract), path: "b",
                isNewOnBranch: true)
            for expandIsNew in [true, false] {
                let found = linter.lint([
                    LintTarget(script: expand, path: "a", isLinted: expandIsNew, isNewOnBranch: expandIsNew), contract,
                ])
                #expect(found.isEmpty, "\(file), expand on the branch: \(expandIsNew): \(found.map(\.message))")
            }
        }
    }

    // MARK: - SQLite table rebuilds

    private static let createUsers = Script(
        path: "0001_users.sql", startLine: 1, sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);")

    /// Lints `sql` as a SQLite migration after a merged one that created users (id, name, email).
    private func sqliteRebuildRules(_ sql: String) -> [LintRule] {
        sqliteRebuildFindings(sql).compactMap(\.rule)
    }

    /// The findings of `sql` as a SQLite migration after the merged `merged`.
    private func sqliteRebuildFindings(_ sql: String, after merged: Script = createUsers) -> [Diagnostic] {
        var configuration = Configuration()
        configuration.migrations.dialect = .sqlite
        return MigrationLinter(configuration: configuration).lint([
            LintTarget(script: merged, path: "a", isLinted: false, isNewOnBranch: false),
            LintTarget(script: Script(path: "0002.sql", startLine: 1, sql: sql), path: "b", isNewOnBranch: true),
        ])
    }

    @Test func aQualifiedStarCopiesEveryColumn() {
        for star in ["u.*", "users.*", "main.users.*"] {
            let from = star == "u.*" ? "users u" : "users"
            let rebuild = """
                CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
                INSERT INTO new_users SELECT \(star) FROM \(from);
                DROP TABLE users;
                ALTER TABLE new_users RENAME TO users;
                """
            #expect(sqliteRebuildRules(rebuild).isEmpty, "\(star)")
        }
    }

    @Test func aStarCopiesByPositionSoARenamedColumnIsNotLost() {
        for insert in ["new_users", "new_users (id, full_name, email)"] {
            let rebuild = """
                CREATE TABLE new_users (id INTEGER PRIMARY KEY, full_name TEXT, email TEXT);
                INSERT INTO \(insert) SELECT * FROM users;
                DROP TABLE users;
                ALTER TABLE new_users RENAME TO users;
                """
            #expect(sqliteRebuildRules(rebuild).isEmpty, "\(insert)")
        }
        let fewer = """
            CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO new_users SELECT * FROM users;
            DROP TABLE users;
            ALTER TABLE new_users RENAME TO users;
            """
        #expect(sqliteRebuildFindings(fewer).map(\.message).contains { $0.contains("loses email") })
    }

    @Test func anAliasIsNotACopyOfTheColumnItNames() {
        let rebuild = """
            CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
            INSERT INTO new_users (id, name, email) SELECT id, name, {{email}} FROM users;
            DROP TABLE users;
            ALTER TABLE new_users RENAME TO users;
            """
        for lost in ["NULL AS email", "'' AS email", "'' email", "CAST(NULL AS TEXT) AS email"] {
            let messages = sqliteRebuildFindings(rebuild.replacing("{{email}}", with: lost)).map(\.message)
            #expect(messages.count == 1 && messages[0].contains("loses email"), "\(lost): \(messages)")
        }
        for kept in ["lower(email) AS email", "u.email AS e", "coalesce(email, '') email", "\"email\""] {
            let from = rebuild.replacing("{{email}}", with: kept).replacing("FROM users;", with: "FROM users u;")
            #expect(sqliteRebuildRules(from).isEmpty, "\(kept)")
        }
    }

    @Test func quotedNamesWithSpacesAndGeneratedColumnsAreFollowed() {
        let merged = Script(
            path: "0001_users.sql", startLine: 1,
            sql: """
                CREATE TABLE "app users" (id INTEGER PRIMARY KEY, "first name" TEXT, email TEXT,
                    lower_email TEXT GENERATED ALWAYS AS (lower(email)));
                """)
        let rebuild = """
            CREATE TABLE "new users" (id INTEGER PRIMARY KEY, "first name" TEXT, email TEXT{{generated}});
            INSERT INTO "new users" (id, "first name", email) SELECT id, "first name", email FROM "app users";
            DROP TABLE "app users";
            ALTER TABLE "new users" RENAME TO "app users";
            """
        let messages = sqliteRebuildFindings(rebuild.replacing("{{generated}}", with: ""), after: merged).map(\.message)
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.allSatisfy { $0.hasPrefix("the rebuild of app users loses lower_email: the new table has no such column") })
        let kept = rebuild.replacing("{{generated}}", with: ", lower_email TEXT GENERATED ALWAYS AS (lower(email))")
        #expect(sqliteRebuildFindings(kept, after: merged).isEmpty)
        let withoutName = rebuild.replacing("{{generated}}", with: ", lower_email TEXT GENERATED ALWAYS AS (lower(email))")
            .replacing(#"SELECT id, "first name", email"#, with: "SELECT id, 'first name', email")
        #expect(sqliteRebuildFindings(withoutName, after: merged).map(\.message).contains { $0.contains("loses first name") })
    }

    @Test func aRebuildWhoseNewTableLacksAColumnOfTheMergedTableLosesIt() {
        let without = """
            CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO new_users SELECT id, name FROM users;
            DROP TABLE users;
            ALTER TABLE new_users RENAME TO users;
            """
        #expect(sqliteRebuildRules(without) == [.sqliteRebuildLosesColumn])
        let with = """
            CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT, email TEXT NOT NULL DEFAULT '');
            INSERT INTO new_users SELECT * FROM users;
            DROP TABLE users;
            ALTER TABLE new_users RENAME TO users;
            """
        #expect(sqliteRebuildRules(with).isEmpty)
        let noCopy = "CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT);\nDROP TABLE users;\nALTER TABLE new_users RENAME TO users;"
        #expect(sqliteRebuildRules(noCopy) == [.sqliteRebuildLosesColumn])
    }

    @Test func aCopyThatLeavesOutAColumnLosesItsData() {
        let rebuild = """
            CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
            INSERT INTO new_users (id, {{columns}}) SELECT id, {{columns}} FROM users;
            DROP TABLE users;
            ALTER TABLE new_users RENAME TO users;
            """
        #expect(sqliteRebuildRules(rebuild.replacing("{{columns}}", with: "name")) == [.sqliteRebuildLosesColumn])
        #expect(sqliteRebuildRules(rebuild.replacing("{{columns}}", with: "name, email")).isEmpty)
    }

    @Test func theOtherRecipeRenamingTheOldTableAwayIsFollowedToo() {
        let rebuild = """
            ALTER TABLE users RENAME TO old_users;
            CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT{{email}});
            INSERT INTO users (id, full_name{{email}}) SELECT id, name{{email}} FROM old_users;
            DROP TABLE old_users;
            """
        #expect(sqliteRebuildRules(rebuild.replacing("{{email}}", with: "")) == [.sqliteRebuildLosesColumn])
        #expect(sqliteRebuildRules(rebuild.replacing("{{email}}", with: ", email")).isEmpty, "name moves to full_name")
    }

    @Test func aRebuildWithoutTheMergedTableKnownAndARenameAloneAreNoFinding() {
        var configuration = Configuration()
        configuration.migrations.dialect = .sqlite
        let rename = "ALTER TABLE users RENAME TO people;\nDROP TABLE sessions;"
        #expect(sqliteRebuildRules(rename).isEmpty)
        let alone = Script(
            path: "0002.sql", startLine: 1,
            sql: "CREATE TABLE n (id INTEGER);\nINSERT INTO n SELECT id FROM users;\nDROP TABLE users;\nALTER TABLE n RENAME TO users;")
        #expect(MigrationLinter(configuration: configuration).lint([LintTarget(script: alone, path: "b", isNewOnBranch: true)]).isEmpty)
    }
}
