import Foundation
import MigTestSupport
import Testing

/// A Flyway project's repeatable migrations (`R__name.sql`) through `mig up`, `status` and `shadow`,
/// on a real SQLite file.
@Suite struct RepeatableCommandTests {
    let scratch: ScratchDirectory
    let environment = ["MIG_DATABASE_URL": "sqlite:db/app.db"]

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"sql\"\n")
        try FileManager.default.createDirectory(
            at: scratch.url.appending(path: "db"), withIntermediateDirectories: true)
        try scratch.write("sql/V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER);\n")
        try view("active = 1")
    }

    private func view(_ condition: String) throws {
        try scratch.write(
            "sql/R__active_users.sql",
            "DROP VIEW IF EXISTS active_users;\nCREATE VIEW active_users AS SELECT id FROM users WHERE \(condition);\n")
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: environment)
    }

    private func repeatables() throws -> [String] {
        let result = try mig("status", "--format", "json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (report["repeatables"] as? [[String: Any]] ?? []).map { "\($0["name"]!):\($0["state"]!)" }
    }

    @Test func upCreatesTheViewAndRecreatesItAfterAnEditOnly() throws {
        #expect(try repeatables() == ["active_users:pending"])
        #expect(try mig("status", "--exit-code").status == 1)
        let first = try mig("up")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 1_users"))
        #expect(first.stdout.contains("ran repeatable R__active_users"))
        #expect(try repeatables() == ["active_users:applied"])
        #expect(try mig("status", "--exit-code").status == 0)

        let again = try mig("up")
        #expect(again.status == 0)
        #expect(!again.stdout.contains("R__active_users"))
        #expect(again.stderr.contains("nothing to do"))

        try view("active <> 0")
        #expect(try repeatables() == ["active_users:outdated"])
        let status = try mig("status")
        #expect(status.stdout.contains("outdated"))
        let edited = try mig("up")
        #expect(edited.stdout.contains("ran repeatable R__active_users"))
        #expect(!edited.stdout.contains("applied 1_users"))
        let sql = try SQLiteShell.run(
            scratch.url.appending(path: "db/app.db"), "SELECT sql FROM sqlite_schema WHERE name = 'active_users';")
        #expect(sql.contains("active <> 0"))
    }

    @Test func shadowRunsThem() throws {
        try scratch.write("sql/R__broken.sql", "CREATE VIEW broken AS SELEC 1;\n")
        let result = try mig("shadow")
        #expect(result.status == 1)
        #expect(result.stderr.contains("sql/R__broken.sql:1"))
    }
}
