import Foundation
import MigTestSupport
import Testing

@Suite struct NewCommandTests {
    private func project(versioning: String, layout: String) throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nlayout = \"\(layout)\"\nversioning = \"\(versioning)\"\n")
        return scratch
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test(arguments: ["timestamp", "sequential", "hybrid"], ["pair", "sections", "directory", "split", "flyway"])
    func createsMigrationsInEverySchemeAndLayout(versioning: String, layout: String) throws {
        let scratch = try project(versioning: versioning, layout: layout)
        let first = try MigProcess.run(["new", "create", "users", "-t", "create-table", "--format", "json"], in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try MigProcess.run(["new", "create posts", "-t", "create-table", "--format", "json"], in: scratch.url)
        #expect(second.status == 0, "\(second.stderr)")
        let files = try json(first.stdout)["files"] as? [String] ?? []
        for file in files { #expect(scratch.exists(file), "\(file) was written") }

        let list = try MigProcess.run(["list", "--format", "json"], in: scratch.url)
        #expect(list.status == 0, "\(list.stderr)")
        let migrations = try json(list.stdout)["migrations"] as? [[String: Any]] ?? []
        #expect(migrations.compactMap { $0["name"] as? String } == ["create_users", "create_posts"])
        let versions = migrations.compactMap { $0["version"] as? String }
        switch versioning {
        case "sequential": #expect(versions == ["0001", "0002"])
        case "hybrid": #expect(versions.allSatisfy { $0.wholeMatch(of: /\d{4}\.\d{2}\.\d{2}\.\d+/) != nil } && versions[1].hasSuffix(".2"))
        default: #expect(versions.allSatisfy { $0.count == 14 } && versions[0] < versions[1])
        }
    }

    @Test func dryRunWritesNothing() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        let result = try MigProcess.run(["new", "create users", "-t", "create-table", "--dry-run"], in: scratch.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("would create db/migrations/0001_create_users.sql"))
        #expect(result.stdout.contains("CREATE TABLE users"))
        #expect(!scratch.exists("db/migrations"))
    }

    @Test func readsAuthorAndBranchFromGit() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        try scratch.write(".migrate/templates/signed.mustache", "-- mig:up\n-- {{author}} <{{email}}> on {{branch}}\nSELECT 1;\n")
        try GitCommand.run(["init", "-q", "-b", "feature/x"], in: scratch.url)
        try GitCommand.run(["config", "user.name", "Ada Lovelace"], in: scratch.url)
        try GitCommand.run(["config", "user.email", "ada@example.com"], in: scratch.url)
        let result = try MigProcess.run(["new", "signed", "-t", "signed"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try scratch.read("db/migrations/0001_signed.sql").contains("-- Ada Lovelace <ada@example.com> on feature/x"))
    }

    @Test func worksOutsideAnyRepository() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        let result = try MigProcess.run(["new", "outside", "-t", "empty"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try scratch.read("db/migrations/0001_outside.sql").hasPrefix("-- mig:up\n-- outside: created by "))
    }

    @Test func refusesPathLikeNames() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        let result = try MigProcess.run(["new", "../../etc/passwd"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("looks like a path"))
    }

    @Test func theBinaryAloneStillHasItsTemplates() throws {
        let elsewhere = try ScratchDirectory()
        let copy = elsewhere.url.appending(path: "bin/mig")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: MigProcess.binary, to: copy)
        let scratch = try project(versioning: "sequential", layout: "pair")
        let result = try MigProcess.run(["new", "create users", "-t", "create-table"], in: scratch.url, binary: copy)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try scratch.read("db/migrations/0001_create_users.up.sql").contains("CREATE TABLE users"))
        #expect(try scratch.read("db/migrations/0001_create_users.down.sql") == "DROP TABLE users;\n")
    }
}
