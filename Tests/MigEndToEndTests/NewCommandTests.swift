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

    /// Five in a row with each built-in template: five distinct, increasing versions, whatever
    /// the new migrations hold (the empty template's up script has no SQL yet).
    @Test(arguments: ["timestamp", "sequential", "hybrid"], ["pair", "sections", "directory", "split", "flyway"])
    func fiveInARowGiveFiveIncreasingVersions(versioning: String, layout: String) throws {
        let scratch = try project(versioning: versioning, layout: layout)
        var versions: [String] = []
        for template in ["empty", "create-table", "add-column", "add-index"] {
            for step in 1...5 {
                let result = try MigProcess.run(
                    ["new", "\(template) step \(step)", "-t", template, "--format", "json"], in: scratch.url)
                #expect(result.status == 0, "\(result.stderr)")
                versions.append(try json(result.stdout)["version"] as? String ?? "")
            }
        }
        #expect(Set(versions).count == 20, "\(versions)")
        let list = try MigProcess.run(["list", "--format", "json"], in: scratch.url)
        let listed = (try json(list.stdout)["migrations"] as? [[String: Any]] ?? []).compactMap { $0["version"] as? String }
        #expect(listed == versions, "list orders them as they were made")
    }

    @Test func writesDieselNamesInADieselFolder() throws {
        let scratch = try project(versioning: "timestamp", layout: "auto")
        try scratch.write("db/migrations/00000000000000_diesel_initial_setup/up.sql", "SELECT 1;\n")
        try scratch.write("db/migrations/2019-02-26-002946_create_users/up.sql", "CREATE TABLE users (id INTEGER);\n")
        let result = try MigProcess.run(["new", "add bio", "--format", "json"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let files = try json(result.stdout)["files"] as? [String] ?? []
        #expect(files.count == 2)
        #expect(files[0].wholeMatch(of: /db\/migrations\/\d{4}-\d{2}-\d{2}-\d{6}_add_bio\/up\.sql/) != nil, "\(files)")
        let list = try MigProcess.run(["list", "--format", "json"], in: scratch.url)
        #expect(list.status == 0, "\(list.stderr)")
    }

    /// `mig new "$(printf 'fix typo\nDELETE FROM users; --')"` must not write a DELETE statement.
    @Test func aLineBreakInTheWordsStaysInsideTheComment() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        let result = try MigProcess.run(["new", "fix typo\nDELETE FROM users; --"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try scratch.read("db/migrations/0001_fix_typo_delete_from_users.sql")
        let lines = text.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("DELETE") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("-- fix typo DELETE FROM users; --: created by") }, "\(text)")
    }

    @Test(arguments: [
        ("SELECT 0;\n-- mig:up\nSELECT 1;\n", ":1:", "text before `-- mig:up` would be lost"),
        ("-- mig:up\n{{> header}}\nSELECT 1;\n", ":2:", "partials"),
        ("-- mig:up\n{{#slug}}\nSELECT 1;\n", ":2:", "never closed"),
    ])
    func aBrokenTemplateIsAClearError(template: String, line: String, message: String) throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        try scratch.write(".migrate/templates/broken.mustache", template)
        let result = try MigProcess.run(["new", "x", "-t", "broken"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("broken.mustache\(line)"), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Mustache."), "no Swift type dump: \(result.stderr)")
        #expect(!scratch.exists("db/migrations/0001_x.sql"))
    }

    @Test(arguments: ["timestamp", "sequential", "hybrid"])
    func aVersionNearTheLimitIsAClearError(versioning: String) throws {
        let scratch = try project(versioning: versioning, layout: "sections")
        try scratch.write("db/migrations/18446744073709551615_last.sql", "-- mig:up\nSELECT 1;\n")
        let result = try MigProcess.run(["new", "next"], in: scratch.url)
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains("cannot choose a \(versioning) version after the newest one, 18446744073709551615"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.appending(path: "db/migrations").path).count == 1)
    }

    @Test func aMistypedTimestampIsNotContinued() throws {
        let scratch = try project(versioning: "timestamp", layout: "sections")
        try scratch.write("db/migrations/202401151200000_typo.sql", "-- mig:up\nSELECT 1;\n")
        let result = try MigProcess.run(["new", "next"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("a timestamp has 14"), "\(result.stderr)")
    }

    @Test func renameColumnWritesTheExpandStepAndPrintsTheContractStep() throws {
        let scratch = try project(versioning: "sequential", layout: "sections")
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nversioning = \"sequential\"\ndialect = \"postgres\"\n")
        let missing = try MigProcess.run(
            ["new", "rename users name", "-t", "rename-column", "--set", "table=users", "--set", "type=text"],
            in: scratch.url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("needs `from`, `to`, which mig cannot guess: give --set from=VALUE --set to=VALUE"), "\(missing.stderr)")
        #expect(!scratch.exists("db/migrations"))
        let malformed = try MigProcess.run(["new", "x", "-t", "rename-column", "--set", "from"], in: scratch.url)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("--set from: write NAME=VALUE"), "\(malformed.stderr)")

        let result = try MigProcess.run(
            [
                "new", "rename users name", "-t", "rename-column", "--set", "table=users", "--set", "from=name",
                "--set", "to=full_name", "--set", "type=text",
            ], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("created db/migrations/0001_rename_users_name.sql\nlater: put the contract step"))
        #expect(result.stdout.contains("ALTER TABLE users DROP COLUMN name;\n"))
        let written = try scratch.read("db/migrations/0001_rename_users_name.sql")
        #expect(written.contains("ALTER TABLE users ADD COLUMN full_name text;"))
        #expect(!written.contains("DROP COLUMN name;"))
        let lint = try MigProcess.run(["lint", "--all"], in: scratch.url)
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
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
        let git = try GitFixture.initialize(at: scratch.url)
        try git.git(["symbolic-ref", "HEAD", "refs/heads/feature/x"])
        try git.git(["config", "user.name", "Ada Lovelace"])
        try git.git(["config", "user.email", "ada@example.com"])
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
