import Foundation
import MigTestSupport
import Testing

@Suite struct InitCommandTests {
    /// A project of another tool, as its users have it, and what `mig init` should make of it.
    struct Adoption: Sendable, CustomTestStringConvertible {
        let tool: String
        let files: [String: String]
        let directory: String
        let layout: String
        let versioning: String
        let count: Int

        var testDescription: String { tool }
    }

    static let adoptions = [
        Adoption(
            tool: "goose",
            files: ["db/migrations/20230101120000_users.sql": "-- +goose Up\nCREATE TABLE users (id INTEGER);\n-- +goose Down\nDROP TABLE users;\n"],
            directory: "db/migrations", layout: "sections", versioning: "timestamp", count: 1),
        Adoption(
            tool: "dbmate",
            files: [
                "db/migrations/20230101120000_users.sql": "-- migrate:up\nCREATE TABLE users (id INTEGER);\n-- migrate:down\nDROP TABLE users;\n",
                "db/migrations/20230102120000_posts.sql": "-- migrate:up\nCREATE TABLE posts (id INTEGER);\n-- migrate:down\nDROP TABLE posts;\n",
            ],
            directory: "db/migrations", layout: "sections", versioning: "timestamp", count: 2),
        Adoption(
            tool: "golang-migrate",
            files: [
                "migrations/000001_users.up.sql": "CREATE TABLE users (id INTEGER);\n",
                "migrations/000001_users.down.sql": "DROP TABLE users;\n",
            ],
            directory: "migrations", layout: "pair", versioning: "sequential", count: 1),
        Adoption(
            tool: "diesel",
            files: [
                "migrations/00000000000000_diesel_initial_setup/up.sql": "SELECT 1;\n",
                "migrations/2023-01-01-120000_users/up.sql": "CREATE TABLE users (id INTEGER);\n",
                "migrations/2023-01-01-120000_users/down.sql": "DROP TABLE users;\n",
                "migrations/2023-01-02-120000_posts/up.sql": "CREATE TABLE posts (id INTEGER);\n",
            ],
            directory: "migrations", layout: "directory", versioning: "timestamp", count: 3),
        Adoption(
            tool: "Flyway",
            files: [
                "src/main/resources/db/migration/V1__users.sql": "CREATE TABLE users (id INTEGER);\n",
                "src/main/resources/db/migration/V2__posts.sql": "CREATE TABLE posts (id INTEGER);\n",
            ],
            directory: "src/main/resources/db/migration", layout: "flyway", versioning: "sequential", count: 2),
    ]

    @Test(arguments: adoptions)
    func adoptsAnotherToolsProject(adoption: Adoption) throws {
        let scratch = try ScratchDirectory()
        for (path, text) in adoption.files { try scratch.write(path, text) }
        let result = try MigProcess.run(["init", "--format", "json"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["directory"] as? String == adoption.directory)
        #expect(report["layout"] as? String == adoption.layout)
        #expect(report["versioning"] as? String == adoption.versioning)
        #expect(report["existingMigrations"] as? Int == adoption.count)
        let config = try scratch.read(".migrate/config.toml")
        #expect(config.contains("layout = \"\(adoption.layout)\""))
        #expect(scratch.exists(".migrate/.gitignore"))
        let list = try MigProcess.run(["list", "--format", "json"], in: scratch.url)
        #expect(list.stdout.contains("\"layout\" : \"\(adoption.layout)\""))
    }

    @Test func neverOverwritesAConfig() throws {
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "# mine\n")
        let result = try MigProcess.run(["init"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains(".migrate/config.toml already exists"))
        #expect(try scratch.read(".migrate/config.toml") == "# mine\n")
    }
}
