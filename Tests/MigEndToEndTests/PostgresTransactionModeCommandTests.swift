import Foundation
import MigTestSupport
import Testing

/// How files run on PostgreSQL by what they contain, with the built binary.
@Suite(.postgres) struct PostgresTransactionModeCommandTests {
    let scratch: ScratchDirectory
    let database: PostgresTestDatabase

    init() throws {
        scratch = try ScratchDirectory()
        database = try PostgresTestDatabase()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": database.url])
    }

    @Test func aDryRunCannotCommitAFileThatCommitsItself() throws {
        try scratch.write("db/migrations/0001_users.up.sql", "BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n")
        let dryRun = try mig("up", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stderr.contains("manages its own transactions"))
        #expect(
            try database.query("SELECT to_regclass('users') IS NULL, to_regclass('mig_history') IS NULL") == ["t|t"])
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(try database.query("SELECT version || ':' || state FROM mig_history") == ["0001:applied"])
    }

    @Test func aFlywayFileWithCreateIndexConcurrentlyAppliesWithoutADirective() throws {
        try scratch.write("db/migrations/V1__users.sql", "CREATE TABLE users (id int, email text);\n")
        try scratch.write("db/migrations/V2__index.sql", "CREATE INDEX CONCURRENTLY users_email ON users (email);\n")
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stderr.contains("CREATE INDEX CONCURRENTLY at line 1 cannot run in a transaction"))
        #expect(
            try database.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass") == ["t"])
    }

    @Test func anUnparseableFileFailsWithItsLineBeforeAnythingRuns() throws {
        try scratch.write("db/migrations/0001_a.up.sql", "CREATE TABLE a (id int);\n")
        try scratch.write(
            "db/migrations/0002_b.up.sql", "CREATE TABLE b (id int);\n/* not closed\nCREATE TABLE c (id int);\n")
        let up = try mig("up")
        #expect(up.status == 1)
        #expect(up.stderr.contains("db/migrations/0002_b.up.sql:2:"), "\(up.stderr)")
        #expect(up.stderr.contains("PostgreSQL 15"))
        #expect(up.stderr.contains("nothing was run"))
        #expect(try database.query("SELECT to_regclass('a') IS NULL") == ["t"])
    }
}
