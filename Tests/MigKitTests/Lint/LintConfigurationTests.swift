import MigKit
import Testing

@Suite struct LintConfigurationTests {
    @Test func lintSectionSetsVersionAndLevels() throws {
        let configuration = try ConfigurationFile.parse(
            """
            [lint]
            postgres_version = 11
            off = ["prefer-text-field"]
            error = ["prefer-timestamptz", "ban-char-field"]

            """)
        #expect(configuration.lint.postgresVersion == 11)
        #expect(
            configuration.lint.levels == [.preferTextField: .off, .preferTimestamptz: .error, .banCharField: .error])
    }

    @Test func anUnknownRuleOrKeyNamesItselfAndItsLine() {
        let rule = #expect(throws: ConfigurationFile.Failure.self) {
            try ConfigurationFile.parse("[lint]\n\nwarning = [\"ban-drop-colum\"]\n")
        }
        #expect(rule?.line == 3)
        #expect(rule?.message.contains("the unknown rule `ban-drop-colum`") == true)
        let key = #expect(throws: ConfigurationFile.Failure.self) {
            try ConfigurationFile.parse("[lint]\nignore = []\n")
        }
        #expect(key?.line == 2)
        #expect(key?.message.contains("unknown key `ignore` in [lint]") == true)
        let version = #expect(throws: ConfigurationFile.Failure.self) {
            try ConfigurationFile.parse("[lint]\npostgres_version = 16\n")
        }
        #expect(version?.message.contains("from 9 to 15") == true)
    }
}
