import Foundation
import MigTestSupport
import Testing

/// Placeholders through `mig up` on a real SQLite file: replaced from `[placeholders]` and the
/// environment; an undefined one stops the run with its file and line before anything runs.
@Suite struct PlaceholderCommandTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"sql\"\n\n[placeholders]\ntable = \"people\"\n")
        try scratch.write("sql/V1__table.sql", "CREATE TABLE ${table} (id INTEGER, note TEXT);\n")
        try scratch.write("sql/V2__seed.sql", "INSERT INTO ${table} VALUES (1, '${note}');\n")
    }

    private func mig(_ arguments: String..., environment: [String: String] = [:]) throws -> MigProcess.Result {
        try MigProcess.run(
            arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"].merging(environment) { $1 })
    }

    private func query(_ sql: String) throws -> String {
        try SQLiteShell.run(scratch.url.appending(path: "app.db"), sql)
    }

    @Test func upReplacesFromConfigAndEnvironment() throws {
        let result = try mig("up", environment: ["FLYWAY_PLACEHOLDERS_NOTE": "from env"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try query("SELECT id || ':' || note FROM people;") == "1:from env")
        #expect(try mig("status", "--exit-code").status == 0)
    }

    @Test func anUndefinedPlaceholderStopsBeforeAnythingRuns() throws {
        let result = try mig("up")
        #expect(result.status == 1)
        #expect(result.stderr.contains("sql/V2__seed.sql:1: placeholder ${note} has no value"))
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appending(path: "app.db").path))
        let shadow = try mig("shadow")
        #expect(shadow.status == 1)
        #expect(shadow.stderr.contains("sql/V2__seed.sql:1"))
    }

    @Test func anotherPlaceholderValueIsAnotherShadowNotACachedOne() throws {
        let first = try mig("schema", environment: ["FLYWAY_PLACEHOLDERS_NOTE": "x"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try scratch.read(".migrate/schema.sql").contains("people"))
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"sql\"\n\n[placeholders]\ntable = \"persons\"\n")
        let second = try mig("schema", environment: ["FLYWAY_PLACEHOLDERS_NOTE": "x"])
        #expect(second.status == 0, "\(second.stderr)")
        let schema = try scratch.read(".migrate/schema.sql")
        #expect(schema.contains("persons") && !schema.contains("people"), "\(schema)")
    }
}
