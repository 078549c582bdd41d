import Foundation
import MigTestSupport
import Testing

/// A golang-migrate style file with its own `BEGIN … COMMIT`, run with the built binary: a dry run
/// cannot commit it, a real run runs it as written, and `list` says how each file runs.
@Suite struct TransactionControlCommandTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\n")
        try scratch.write("db/migrations/0001_users.up.sql", "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n")
        try scratch.write("db/migrations/0002_plain.up.sql", "CREATE TABLE plain (id int);\n")
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:db/app.db"])
    }

    private func tables() throws -> String {
        try SQLiteShell.run(
            scratch.url.appending(path: "db/app.db"),
            "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name);")
    }

    @Test func aDryRunDoesNotRunItAndSaysWhy() throws {
        for arguments in [["up", "--dry-run"], ["up", "--dry-run", "--no-shadow"]] {
            let dryRun = try MigProcess.run(
                arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:db/app.db"])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            #expect(dryRun.stderr.contains("manages its own transactions"), "\(dryRun.stderr)")
            #expect(try !scratch.exists("db/app.db") || tables().isEmpty)
        }
    }

    @Test func aRealRunRunsItAsWrittenAndListTellsHowEachFileRuns() throws {
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("0001_users runs without mig's transaction: it has its own transaction control"))
        #expect(try tables() == "mig_history,mig_history_events,plain,users")
        let list = try mig("list", "--format", "json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any])
        let entries = try #require(report["migrations"] as? [[String: Any]])
        #expect(entries.map { $0["transaction"] as? String } == ["own", "transaction"])
        #expect(entries.map { $0["noTransaction"] as? Bool } == [true, false])
    }
}
