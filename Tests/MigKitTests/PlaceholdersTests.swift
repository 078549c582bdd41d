import Foundation
import MigKit
import Testing

/// Flyway `${name}` and goose ENVSUB `${VAR}`: replaced in the SQL that runs, only in files that opt
/// in, never left literal, checksums on the file's text.
@Suite struct PlaceholdersTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
    }

    private func write(_ file: String, _ text: String) throws {
        try fixture.scratch.write("\(fixture.directory)/\(file)", text)
    }

    @Test func flywayFilesTakeConfigThenEnvironmentThenBuiltIns() throws {
        try write(
            "V1__users.sql",
            "CREATE TABLE ${Table} (id INTEGER);\n-- ${flyway:filename} ${flyway:table}\nINSERT INTO ${table} VALUES (${seed});\n"
        )
        let raw = try fixture.catalog()
        let placeholders = Placeholders(
            configured: ["table": "people", "seed": "1"], environment: ["FLYWAY_PLACEHOLDERS_SEED": "7"],
            builtIns: ["flyway:table": "mig_history"])
        let catalog = try placeholders.substitute(in: raw)
        let up = catalog.migrations[0].up
        #expect(
            up.sql
                == "CREATE TABLE people (id INTEGER);\n-- V1__users.sql mig_history\nINSERT INTO people VALUES (7);\n")
        #expect(up.checksum == raw.migrations[0].up.checksum)
    }

    @Test func callbacksMigRunsTakePlaceholdersToo() throws {
        try write("V1__users.sql", "CREATE TABLE users (id INTEGER);\n")
        try write("afterMigrate.sql", "GRANT SELECT ON users TO ${reader};\n")
        let catalog = try Placeholders(configured: ["reader": "app"], environment: [:]).substitute(
            in: try fixture.catalog())
        #expect(catalog.callbackScripts(for: "afterMigrate").map(\.sql) == ["GRANT SELECT ON users TO app;\n"])
    }

    @Test func anUndefinedPlaceholderIsAnErrorWithFileAndLine() throws {
        try write("V1__users.sql", "CREATE TABLE users (id INTEGER);\n\nCREATE TABLE ${missing} (id INTEGER);\n")
        try write("R__view.sql", "CREATE VIEW v AS SELECT '${flyway:user}';\n")
        let error = try #require(throws: PlaceholderError.self) {
            try Placeholders(configured: [:], environment: [:]).substitute(in: try fixture.catalog())
        }
        #expect(
            error.undefined.map { "\($0.path):\($0.line):\($0.name)" } == [
                "V1__users.sql:3:missing", "R__view.sql:1:flyway:user",
            ])
        let text = error.description(under: "db/migrations")
        #expect(text.contains("db/migrations/V1__users.sql:3: placeholder ${missing} has no value"))
        #expect(text.contains("FLYWAY_PLACEHOLDERS_MISSING"))
    }

    @Test func gooseFilesReplaceOnlyBetweenTheEnvsubMarkers() throws {
        try write(
            "20240101000000_users.sql",
            """
            -- +goose Up
            SELECT '${KEPT}';
            -- +goose ENVSUB ON
            CREATE TABLE ${PREFIX}users (id INTEGER, role TEXT DEFAULT '${ROLE:-member}');
            -- +goose ENVSUB OFF
            SELECT '${KEPT}';
            -- +goose Down
            DROP TABLE users;

            """)
        let catalog = try Placeholders(configured: ["prefix": "no"], environment: ["PREFIX": "app_"]).substitute(
            in: try fixture.catalog())
        let sql = catalog.migrations[0].up.sql
        #expect(sql.contains("CREATE TABLE app_users (id INTEGER, role TEXT DEFAULT 'member');"))
        #expect(sql.components(separatedBy: "'${KEPT}'").count == 3)
    }

    @Test func aGooseEnvsubVariableWithoutValueIsAnError() throws {
        try write("20240101000000_users.sql", "-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE ${NOPE} (id INTEGER);\n")
        let error = try #require(throws: PlaceholderError.self) {
            try Placeholders(configured: [:], environment: [:]).substitute(in: try fixture.catalog())
        }
        #expect(error.undefined.map(\.line) == [3])
        #expect(error.description.contains("set the environment variable NOPE"))
    }

    @Test func otherLayoutsKeepDollarBracesAsWritten() throws {
        try fixture.add("0001", "fn", up: "SELECT '${not_a_placeholder}';")
        let raw = try fixture.catalog()
        #expect(
            try Placeholders(configured: [:], environment: [:]).substitute(in: raw).migrations[0].up
                == raw.migrations[0].up)
    }
}
