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

    @Test func theBuiltInPostgresTemplatesPassTheLint() throws {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Golden")
        let files = try FileManager.default.contentsOfDirectory(atPath: golden.path).filter {
            $0.hasSuffix(".postgres.sql")
        }
        #expect(files.count >= 3)
        for file in files {
            let text = try String(contentsOf: golden.appending(path: file), encoding: .utf8)
            let up = String(text.components(separatedBy: "-- mig:down")[0])
            #expect(lintDiagnostics(up).isEmpty, "\(file): \(lintDiagnostics(up).map(\.message))")
        }
    }
}
