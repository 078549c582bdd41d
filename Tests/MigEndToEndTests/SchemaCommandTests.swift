import Foundation
import MigTestSupport
import Testing

/// `mig schema`, `stale-schema` in `mig check`, and what `mig shadow` takes from `.migrate/cache`.
@Suite struct SchemaCommandTests {
    private func repository() throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.write(
            BranchRepository.path("0001_users"),
            "-- mig:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n"
                + "CREATE INDEX users_email ON users (email);\n"
                + "CREATE VIEW emails AS SELECT email FROM users;\n"
                + "CREATE TRIGGER users_check BEFORE INSERT ON users BEGIN SELECT 1; END;\n"
                + "-- mig:down\nDROP VIEW emails;\nDROP TABLE users;\n")
        try repo.git.commit("users")
        return repo
    }

    private func schemaText(_ repo: BranchRepository) throws -> String {
        try String(contentsOf: repo.url.appending(path: ".migrate/schema.sql"), encoding: .utf8)
    }

    @Test func writesTheSameBytesEveryTimeCachedOrCold() throws {
        let repo = try repository()
        let first = try repo.mig(["schema"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("wrote .migrate/schema.sql"))
        let text = try schemaText(repo)
        for expected in [
            "table users\n", "    column email text not null\n", "    unique (email)\n", "index users_email\n",
            "    on users (email)\n", "view emails\n", "trigger users_check\n",
        ] {
            #expect(text.contains(expected), "\(expected) in\n\(text)")
        }
        let again = try repo.mig(["schema"])
        #expect(again.stderr.contains(".migrate/schema.sql is up to date"))
        try FileManager.default.removeItem(at: repo.url.appending(path: ".migrate/schema.sql"))
        #expect(try repo.mig(["schema", "--no-cache"]).status == 0)
        #expect(try schemaText(repo) == text)
        #expect(try repo.mig(["schema", "--check"]).status == 0)
    }

    @Test func checkReportsStaleSchemaOnlyWhenTheMigrationsChangeIt() throws {
        let repo = try repository()
        #expect(try repo.mig(["schema"]).status == 0)
        try repo.git.commit("schema")
        try repo.git.checkout("feature", create: true)
        // No schema change on the branch: nothing to report.
        #expect(!(try repo.checkJSON(["--base", "main"]).codes.contains("stale-schema")))
        try repo.git.write(
            BranchRepository.path("0002_names"),
            "-- mig:up\nALTER TABLE users ADD COLUMN name TEXT;\n-- mig:down\nALTER TABLE users DROP COLUMN name;\n")
        let stale = try repo.checkJSON(["--base", "main"])
        #expect(stale.status == 1)
        #expect(stale.codes == ["stale-schema"])
        #expect(try repo.mig(["schema", "--check"]).status == 1)
        #expect(try repo.mig(["schema"]).status == 0)
        #expect(try schemaText(repo).contains("    column name text\n"))
        #expect(try repo.checkJSON(["--base", "main"]).codes.isEmpty)
    }

    @Test func aSecondShadowRunSaysWhatCameFromTheCache() throws {
        let repo = try repository()
        let cold = try repo.mig(["shadow"])
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(!cold.stderr.contains("from a snapshot"))
        try repo.git.write(BranchRepository.path("0002_tags"), BranchRepository.text("0002_tags"))
        let warm = try repo.mig(["shadow"])
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stderr.contains("restored the first 1 migration(s) from a snapshot in .migrate/cache"))
        #expect(warm.stderr.contains("the roundtrip of 1 older migration(s) passed before with the same scripts"))
        #expect(warm.stdout.contains("up   0002_tags"))
        #expect(!warm.stdout.contains("0001_users"))
        let uncached = try repo.mig(["shadow", "--no-cache"])
        #expect(uncached.stdout.contains("up   0001_users"))
        #expect(!uncached.stderr.contains("from a snapshot"))
    }

    /// Flyway's repeatables run after every versioned migration (`mig up`), so the schema file holds
    /// what they make, and `stale-schema` fires when one changes.
    @Test func includesTheRepeatablesAfterTheVersionedMigrations() throws {
        let repo = try BranchRepository()
        try repo.git.write("db/migrations/V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")
        try repo.git.write(
            "db/migrations/R__emails.sql", "DROP VIEW IF EXISTS emails;\nCREATE VIEW emails AS SELECT email FROM users;\n")
        let written = try repo.mig(["schema"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try schemaText(repo).contains("view emails\n    create view emails as select email from users\n"))
        try repo.git.commit("flyway")
        try repo.git.checkout("feature", create: true)
        // Flyway's V files have no downs here: only missing-down warnings besides what is checked.
        let codes = { try repo.checkJSON(["--base", "main"]).codes.filter { $0 != "missing-down" } }
        #expect(try codes().isEmpty)
        try repo.git.write(
            "db/migrations/R__emails.sql", "DROP VIEW IF EXISTS emails;\nCREATE VIEW emails AS SELECT id, email FROM users;\n")
        #expect(try codes() == ["stale-schema"])
    }

    @Test func checkShadowSaysWhatCameFromTheCache() throws {
        let repo = try repository()
        try repo.git.checkout("feature", create: true)
        try repo.git.write(BranchRepository.path("0002_tags"), BranchRepository.text("0002_tags"))
        let cold = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(cold.status == 0, "\(cold.stdout)\(cold.stderr)")
        #expect(cold.stderr.contains("shadow: replayed 2 migration(s); none restored from .migrate/cache"), "\(cold.stderr)")
        try repo.git.write(BranchRepository.path("0003_labels"), BranchRepository.text("0003_labels"))
        let warm = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(warm.stderr.contains("shadow: replayed 1 of 3 migration(s); 2 restored from .migrate/cache"), "\(warm.stderr)")
        let uncached = try repo.mig(["check", "--shadow", "--base", "main", "--no-cache"])
        #expect(uncached.stderr.contains("shadow: replayed 3 migration(s) from nothing (--no-cache)"), "\(uncached.stderr)")
    }
}
