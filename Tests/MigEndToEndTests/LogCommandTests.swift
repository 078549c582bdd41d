import Foundation
import MigTestSupport
import Testing

/// `mig log` on a real SQLite file: the record of applies and reverts, in text and JSON.
@Suite struct LogCommandTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(
            ".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\n[database]\nurl = \"sqlite:app.db\"\n")
        try scratch.write(
            "db/migrations/0001_users.sql",
            "-- mig:up\nCREATE TABLE users (id INTEGER);\n-- mig:down\nDROP TABLE users;\n")
        try scratch.write(
            "db/migrations/0002_posts.sql",
            "-- mig:up\nCREATE TABLE posts (id INTEGER);\n-- mig:down\nDROP TABLE posts;\n")
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: ["USER": "ana"])
    }

    @Test func showsWhatADownRemovedFromTheHistory() throws {
        let empty = try mig("log")
        #expect(empty.status == 0)
        #expect(empty.stderr.contains("no events recorded yet"), "\(empty.stderr)")
        #expect(try mig("up").status == 0)
        #expect(try mig("down").status == 0)
        let text = try mig("log")
        #expect(text.status == 0, "\(text.stderr)")
        // ID, AT (a date and a time), EVENT, VERSION, NAME, BY …
        let rows = text.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        #expect(
            rows.map { $0.count > 6 ? "\($0[3]) \($0[4]) \($0[5]) \($0[6])" : "" } == [
                "applied 0001 users ana", "applied 0002 posts ana", "reverted 0002 posts ana",
            ])

        let json = try mig("log", "--format", "json", "2")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let events = try #require(report["events"] as? [[String: Any]])
        #expect(events.map { $0["event"] as? String } == ["applied", "reverted"])
        #expect(events.map { $0["id"] as? Int } == [2, 3])
        #expect(events.allSatisfy { $0["version"] as? String == "0002" && $0["name"] as? String == "posts" })
        #expect(report["database"] as? String == "sqlite:app.db")

        let status = try mig("status", "--format", "json")
        let statusReport = try #require(
            try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let migrations = try #require(statusReport["migrations"] as? [[String: Any]])
        #expect(migrations.map { $0["appliedOrder"] as? Int } == [1, nil])
    }
}

/// `mig log` on the real PostgreSQL server: the database user of each event, and the past after a down.
@Suite(.postgres) struct PostgresLogCommandTests {
    @Test func showsTheDatabaseUserAndWhatADownRemoved() throws {
        let database = try PostgresTestDatabase()
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        try scratch.write(
            "db/migrations/0001_users.sql",
            "-- mig:up\nCREATE TABLE users (id integer);\n-- mig:down\nDROP TABLE users;\n")
        let environment = ["MIG_DATABASE_URL": database.url, "USER": "ana"]
        #expect(try MigProcess.run(["up"], in: scratch.url, environment: environment).status == 0)
        #expect(try MigProcess.run(["down"], in: scratch.url, environment: environment).status == 0)
        let json = try MigProcess.run(["log", "--format", "json"], in: scratch.url, environment: environment)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let events = try #require(report["events"] as? [[String: Any]])
        #expect(events.map { $0["event"] as? String } == ["applied", "reverted"])
        let user = try database.query("SELECT current_user")
        #expect(events.allSatisfy { [$0["databaseUser"] as? String ?? ""] == user && $0["by"] as? String == "ana" })
        let password = try PostgresTestServer.password()
        #expect(password.isEmpty || !json.stdout.contains(password), "no secret in the output")
        let text = try MigProcess.run(["log"], in: scratch.url, environment: environment)
        #expect(text.stdout.contains("ana (\(user.joined()))"), "\(text.stdout)")
    }
}
