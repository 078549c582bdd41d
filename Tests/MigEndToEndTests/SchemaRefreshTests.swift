import Foundation
import MigTestSupport
import Testing

/// `mig new`, `mig fix` and `mig up` keep the schema file current when the project keeps one, and
/// `up` only against the development database (`[database] url` written in config.toml).
@Suite struct SchemaRefreshTests {
    private func repository(config: String = "") throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nversioning = \"sequential\"\n\n[database]\nurl = \"sqlite:db/dev.db\"\n"
                + config)
        try repo.git.write(
            BranchRepository.path("0001_users"),
            "-- mig:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n-- mig:down\nDROP TABLE users;\n")
        try repo.git.commit("users")
        return repo
    }

    private func schema(_ repo: BranchRepository, _ path: String = ".migrate/schema.sql") throws -> String? {
        try? String(contentsOf: repo.url.appending(path: path), encoding: .utf8)
    }

    @Test func newAndUpRefreshAKeptFile() throws {
        let repo = try repository()
        #expect(try repo.mig(["schema"]).status == 0)
        let new = try repo.mig(["new", "-t", "create-table", "create widgets"])
        #expect(new.status == 0, "\(new.stderr)")
        #expect(new.stderr.contains("refreshed .migrate/schema.sql"), "\(new.stderr)")
        #expect(try schema(repo)?.contains("table widgets\n") == true)

        // Editing the new migration and applying it to the development database refreshes it again.
        try repo.git.write(
            BranchRepository.path("0002_create_widgets"),
            "-- mig:up\nCREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT);\n-- mig:down\nDROP TABLE widgets;\n")
        let up = try repo.mig(["up"])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("refreshed .migrate/schema.sql"), "\(up.stderr)")
        #expect(try schema(repo)?.contains("    column name text\n") == true)
        #expect(try repo.mig(["schema", "--check"]).status == 0)
    }

    @Test func upAgainstAnotherDatabaseLeavesTheFileAlone() throws {
        let repo = try repository()
        #expect(try repo.mig(["schema"]).status == 0)
        try repo.git.write(
            BranchRepository.path("0002_tags"),
            "-- mig:up\nCREATE TABLE tags (id INTEGER);\n-- mig:down\nDROP TABLE tags;\n")
        let before = try schema(repo)
        for (arguments, environment) in [
            (["up", "--database", "sqlite:db/other.db"], [String: String]()),
            (["up"], ["MIG_DATABASE_URL": "sqlite:db/ci.db"]),
            (["up"], ["DATABASE_URL": "sqlite:db/production.db"]),
        ] {
            let up = try MigProcess.run(arguments, in: repo.url, environment: environment)
            #expect(up.status == 0, "\(up.stderr)")
            #expect(!up.stderr.contains("refreshed"), "\(arguments) \(environment)")
            #expect(try schema(repo) == before)
        }
        // A dry run against the development database writes nothing either.
        #expect(!(try repo.mig(["up", "--dry-run"]).stderr.contains("refreshed")))
        #expect(try schema(repo) == before)
    }

    @Test func aProjectWithoutTheFileGetsNoneUnlessConfigNamesIt() throws {
        let plain = try repository()
        #expect(try plain.mig(["new", "tags"]).status == 0)
        #expect(try schema(plain) == nil)

        let named = try repository(config: "\n[shadow]\nschema_file = \"db/schema.sql\"\n")
        let new = try named.mig(["new", "-t", "create-table", "create widgets"])
        #expect(new.stderr.contains("refreshed db/schema.sql"), "\(new.stderr)")
        #expect(try schema(named, "db/schema.sql")?.contains("table widgets\n") == true)
    }

    @Test func fixRefreshesTheFileWhenRenumberingChangesTheSchema() throws {
        let repo = try repository()
        #expect(try repo.mig(["schema"]).status == 0)
        try repo.git.commit("schema")
        try repo.git.checkout("feature", create: true)
        // Whichever of the two runs first decides what `x` is.
        let xA = "-- mig:up\nCREATE TABLE IF NOT EXISTS x (a INTEGER);\n-- mig:down\nSELECT 1;\n"
        let xB = "-- mig:up\nCREATE TABLE IF NOT EXISTS x (b INTEGER);\n-- mig:down\nSELECT 1;\n"
        try repo.git.write(BranchRepository.path("0002_x_a"), xA)
        #expect(try repo.mig(["schema"]).status == 0)
        try repo.git.commit("x a")
        try repo.git.checkout("main")
        try repo.git.write(BranchRepository.path("0002_x_b"), xB)
        try repo.git.commit("x b")
        try repo.git.checkout("feature")
        // The branch takes main's migration in (as a merge would): 0002_x_a now runs before it.
        try repo.git.write(BranchRepository.path("0002_x_b"), xB)
        #expect(try schema(repo)?.contains("column a integer") == true)
        let fix = try repo.mig(["fix", "--base", "main"])
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(fix.stdout.contains("0003_x_a"), "\(fix.stdout)")
        #expect(fix.stderr.contains("refreshed .migrate/schema.sql"), "\(fix.stderr)")
        #expect(try schema(repo)?.contains("column b integer") == true)
    }
}
