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
            files: [
                "db/migrations/20230101120000_users.sql":
                    "-- +goose Up\nCREATE TABLE users (id INTEGER);\n-- +goose Down\nDROP TABLE users;\n"
            ],
            directory: "db/migrations", layout: "sections", versioning: "timestamp", count: 1),
        Adoption(
            tool: "dbmate",
            files: [
                "db/migrations/20230101120000_users.sql":
                    "-- migrate:up\nCREATE TABLE users (id INTEGER);\n-- migrate:down\nDROP TABLE users;\n",
                "db/migrations/20230102120000_posts.sql":
                    "-- migrate:up\nCREATE TABLE posts (id INTEGER);\n-- migrate:down\nDROP TABLE posts;\n",
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

    @Test func adoptsPostgresMigrationsThreeFoldersDeepAndSaysWhy() throws {
        let scratch = try ScratchDirectory()
        let git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
        try git.commit(
            "a Go service with its migrations deep inside",
            files: [
                "services/api/migrations/000001_users.up.sql":
                    "CREATE TABLE users (\n  id SERIAL PRIMARY KEY,\n  data JSONB\n);\n",
                "services/api/migrations/000001_users.down.sql": "DROP TABLE users;\n",
                "services/api/migrations/000002_posts.up.sql": "CREATE TABLE posts (id INTEGER);\n",
                "services/api/migrations/000002_posts.down.sql": "DROP TABLE posts;\n",
                "services/api/migrations/README.sql": "-- how to run these\n",
                "testdata/0001_fixture.sql": "-- mig:up\nSELECT 1;\n",
                "main.go": "package main\n",
            ])
        // Files Git does not track (build output) are not the project's migrations.
        for number in 1...9 { try git.write("build/migrations/000\(number)_copy.up.sql", "SELECT 1;\n") }
        try git.write(".gitignore", "build/\n")

        let result = try MigProcess.run(["init"], in: git.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "found services/api/migrations: 4 file(s) named for the pair layout (VERSION_name.up.sql + VERSION_name.down.sql)"
            ), "\(result.stdout)")
        #expect(result.stdout.contains("also found testdata: 1 file(s), sections layout"))
        #expect(
            result.stdout.contains(
                "dialect postgres: services/api/migrations/000001_users.up.sql:2 uses SERIAL, which only PostgreSQL has"
            ))
        #expect(result.stdout.contains("1 file(s) in the folder mig cannot explain"))
        #expect(result.stderr.contains("services/api/migrations/README.sql"))
        let config = try String(contentsOf: git.url.appending(path: ".migrate/config.toml"), encoding: .utf8)
        #expect(config.contains("dir = \"services/api/migrations\""))
        #expect(config.contains("layout = \"pair\""))
        #expect(config.contains("versioning = \"sequential\""))
        #expect(config.contains("dialect = \"postgres\""))
    }

    @Test func takesTheDialectFromTheToolsConfigurationWithoutPrintingSecrets() throws {
        let scratch = try ScratchDirectory()
        try scratch.write(
            "db/migrations/20240101000000_users.sql",
            "-- migrate:up\nCREATE TABLE users (id INTEGER);\n-- migrate:down\nDROP TABLE users;\n")
        try scratch.write(
            ".env", "# dbmate\nexport DATABASE_URL=\"postgres://app:s3cret@db:5432/app?sslmode=disable\"\n")
        let result = try MigProcess.run(["init", "--dry-run"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains("dialect postgres: .env:2 DATABASE_URL names a PostgreSQL database"),
            "\(result.stdout)")
        #expect(!result.stdout.contains("s3cret") && !result.stderr.contains("s3cret"))
        #expect(!scratch.exists(".migrate/config.toml"))
    }

    @Test func findingNothingToAdoptWritesNothingAndFails() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/schema.sql", "CREATE TABLE users (id INTEGER);\n")
        let result = try MigProcess.run(["init"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("found no migrations to adopt"))
        #expect(result.stderr.contains("mig init --dir db/migrations"))
        #expect(!scratch.exists(".migrate/config.toml"))
    }

    @Test func aNamedFolderThatDoesNotExistIsCreatedSoTheConfigNeverNamesAMissingFolder() throws {
        let scratch = try ScratchDirectory()
        let dryRun = try MigProcess.run(["init", "--dir", "db/migrations", "--dry-run"], in: scratch.url)
        #expect(dryRun.stdout.contains("would create db/migrations: it does not exist yet"))
        #expect(!scratch.exists("db/migrations"))
        let result = try MigProcess.run(["init", "--dir", "db/migrations"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("create db/migrations"))
        #expect(scratch.exists("db/migrations"))
        #expect(try scratch.read(".migrate/config.toml").contains("dir = \"db/migrations\""))
        #expect(result.stdout.contains("dialect sqlite: no PostgreSQL-only syntax"))
    }

    @Test func refusesAFolderOutsideTheProject() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("app/README.md", "an app\n")
        for outside in ["../migrations", "/tmp/migrations"] {
            let result = try MigProcess.run(["init", "--dir", outside], in: scratch.url.appending(path: "app"))
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(outside) is outside this folder"))
            #expect(!scratch.exists("app/.migrate/config.toml"))
        }
        #expect(!scratch.exists("migrations"))
    }
}

/// `mig init --database URL`: the config is written and the database adopted in one command.
@Suite struct InitAdoptCommandTests {
    @Test func adoptsAGooseMigratedSQLiteDatabase() throws {
        let scratch = try ScratchDirectory()
        let fixture = ForeignToolFixture.goose
        for (path, text) in fixture.files { try scratch.write("db/migrations/\(path)", text) }
        let path = scratch.url.appending(path: "app.db").path
        _ = try AdoptCommandTests.sqlite(path, fixture.setup(.sqlite))
        let before = try AdoptCommandTests.sqlite(path, "SELECT count(*) FROM goose_db_version")

        let dryRun = try MigProcess.run(["init", "--database", "sqlite:app.db", "--dry-run"], in: scratch.url)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would record 00002_posts applied"), "\(dryRun.stdout)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appending(path: ".migrate/config.toml").path))
        #expect(
            try AdoptCommandTests.sqlite(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'mig_history'") == ["0"]
        )

        let result = try MigProcess.run(["init", "--database", "sqlite:app.db"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote .migrate/config.toml"), "\(result.stdout)")
        #expect(result.stdout.contains("found goose_db_version (goose)"), "\(result.stdout)")
        let config = try String(contentsOf: scratch.url.appending(path: ".migrate/config.toml"), encoding: .utf8)
        #expect(!config.contains("app.db"), "the URL is not written to the config")

        let environment = ["MIG_DATABASE_URL": "sqlite:app.db"]
        let status = try MigProcess.run(["status", "--format", "json"], in: scratch.url, environment: environment)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let states = (report["migrations"] as? [[String: Any]] ?? []).map { "\($0["version"]!):\($0["state"]!)" }
        #expect(states == ["00001:applied", "00002:applied", "00003:pending"])
        let up = try MigProcess.run(["up"], in: scratch.url, environment: environment)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 00003_comments") && !up.stdout.contains("_users"), "\(up.stdout)")
        #expect(try AdoptCommandTests.sqlite(path, "SELECT count(*) FROM goose_db_version") == before)
    }

    /// A Prisma project as Prisma leaves it: `prisma/migrations/VERSION_name/migration.sql` and the
    /// lock file naming the provider, and a database with `_prisma_migrations`.
    @Test func adoptsAPrismaMigratedSQLiteDatabase() throws {
        let scratch = try ScratchDirectory()
        let fixture = ForeignToolFixture.prisma
        for (path, text) in fixture.files { try scratch.write("prisma/migrations/\(path)", text) }
        try scratch.write("prisma/migrations/migration_lock.toml", "provider = \"sqlite\"\n")
        try scratch.write("prisma/schema.prisma", "datasource db {\n  provider = \"sqlite\"\n}\n")
        let path = scratch.url.appending(path: "app.db").path
        _ = try AdoptCommandTests.sqlite(path, fixture.setup(.sqlite))

        let result = try MigProcess.run(["init", "--database", "sqlite:app.db"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("found prisma/migrations: 3 file(s) named for the prisma layout"), "\(result.stdout)")
        #expect(result.stdout.contains("dialect sqlite: the database given with --database is one"), "\(result.stdout)")
        #expect(result.stdout.contains("found _prisma_migrations (prisma)"), "\(result.stdout)")
        let config = try String(contentsOf: scratch.url.appending(path: ".migrate/config.toml"), encoding: .utf8)
        #expect(config.contains("dir = \"prisma/migrations\""), "\(config)")

        let environment = ["MIG_DATABASE_URL": "sqlite:app.db"]
        let status = try MigProcess.run(["status", "--format", "json"], in: scratch.url, environment: environment)
        #expect(status.status == 0 && status.stderr.isEmpty, "\(status.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let migrations = report["migrations"] as? [[String: Any]] ?? []
        #expect(
            migrations.map { "\($0["version"]!)_\($0["name"]!):\($0["state"]!)" } == [
                "20240101000001_users:applied", "20240101000002_posts:applied", "20240101000003_comments:pending",
            ])
        // Applied in Prisma's order, at Prisma's times (milliseconds since 1970 on SQLite).
        #expect(migrations.compactMap { $0["appliedOrder"] as? Int } == [1, 2])
        #expect(migrations.first?["appliedAt"] as? String == "2024-01-01T10:00:00Z")
        let up = try MigProcess.run(["up"], in: scratch.url, environment: environment)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 20240101000003_comments") && !up.stdout.contains("_users"), "\(up.stdout)")
        #expect(try AdoptCommandTests.sqlite(path, "SELECT count(*) FROM comments") == ["0"])
        #expect(try AdoptCommandTests.sqlite(path, "SELECT count(*) FROM _prisma_migrations") == ["3"])
    }

    @Test func aDatabaseWithoutAnotherToolsHistorySaysSoAfterWritingTheConfig() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/00001_users.sql", "-- +goose Up\nCREATE TABLE users (id INTEGER);\n")
        _ = try AdoptCommandTests.sqlite(scratch.url.appending(path: "app.db").path, "CREATE TABLE t (id INTEGER);")
        let result = try MigProcess.run(["init", "--database", "sqlite:app.db"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stdout.contains("wrote .migrate/config.toml"))
        #expect(result.stderr.contains("no history table of another tool found"))
    }
}
