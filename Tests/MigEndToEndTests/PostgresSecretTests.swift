import Foundation
import MigTestSupport
import Testing

/// A password is never printed: not in errors, not in `--format json`, however it is written (unencoded
/// `?` that libpq reads as part of it, percent-encoding, key/value strings, one letter long).
@Suite(.postgres) struct PostgresSecretTests {
    let scratch: ScratchDirectory
    let database: PostgresTestDatabase

    init() throws {
        scratch = try ScratchDirectory()
        database = try PostgresTestDatabase()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n")
        try scratch.write("db/migrations/0001_users.sql", "-- mig:up\nCREATE TABLE users (id integer);\n")
    }

    private func mig(_ arguments: [String], url: String) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": url])
    }

    private func expectNowhere(_ secrets: [String], in result: MigProcess.Result) {
        for secret in secrets {
            #expect(!result.stdout.contains(secret), "stdout shows \(secret): \(result.stdout)")
            #expect(!result.stderr.contains(secret), "stderr shows \(secret): \(result.stderr)")
        }
    }

    @Test func aPasswordWithAnUnencodedQuestionMarkIsNeverPrinted() throws {
        let role = try PostgresTestRole(password: "Q?9xSECRETz", database: database)
        let url = try PostgresTestServer.unencodedURL(database: database.name, user: role.name, password: "Q?9xSECRETz")

        let applied = try mig(["up", "--format", "json"], url: url)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("\(role.name):***@"), "\(applied.stdout)")
        expectNowhere(["SECRET", "Q?9x"], in: applied)
        #expect(try database.query("SELECT version FROM mig_history") == ["0001"])

        let wrong = try mig(
            ["status"],
            url: try PostgresTestServer.unencodedURL(database: database.name, user: role.name, password: "Q?9xWRONGz"))
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("password authentication failed for user \"\(role.name)\""), "\(wrong.stderr)")
        expectNowhere(["WRONG", "Q?9x"], in: wrong)

        let unreachable = try mig(
            ["up"],
            url: try PostgresTestServer.unencodedURL(
                database: database.name, user: role.name, password: "Q?9xSECRETz", port: 1))
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("Connection refused"), "\(unreachable.stderr)")
        expectNowhere(["SECRET", "Q?9x"], in: unreachable)
    }

    @Test func keyValueStringsAndQueryParametersKeepThePasswordToo() throws {
        let role = try PostgresTestRole(password: "Q?9x SECRETz", database: database)
        let (host, port) = try PostgresTestServer.address()
        let words = "host=\(host) port=\(port) dbname=\(database.name) user=\(role.name) password='Q?9x SECRETz'"
        let status = try mig(["status", "--format", "json"], url: words)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("password=***"), "\(status.stdout)")
        expectNowhere(["SECRET", "Q?9x"], in: status)

        let query = "postgres://\(host):\(port)/\(database.name)?user=\(role.name)&password=Q?9x%20SECRETz"
        let applied = try mig(["up", "--format", "json"], url: query)
        #expect(applied.status == 0, "\(applied.stderr)")
        expectNowhere(["SECRET", "Q?9x"], in: applied)
    }

    /// `pw%2525` as written decodes to `pw%25`: removing the shorter spelling first would leave `***25`.
    @Test func aPasswordWhoseWrittenFormHoldsItsDecodedFormIsNeverPrinted() throws {
        let role = try PostgresTestRole(password: "pw%25", database: database)
        let url = try PostgresTestServer.unencodedURL(database: database.name, user: role.name, password: "pw%2525")
        let applied = try mig(["up", "--format", "json"], url: url)
        #expect(applied.status == 0, "\(applied.stderr)")
        expectNowhere(["pw%25", "***25"], in: applied)
        let wrong = try mig(
            ["status"],
            url: try PostgresTestServer.unencodedURL(database: database.name, user: role.name, password: "pw%2526"))
        #expect(wrong.status == 2)
        expectNowhere(["pw%25", "***2"], in: wrong)
    }

    /// Only the password is hidden: a one-letter password leaves the words of a message whole.
    @Test func aOneLetterPasswordLeavesMessagesWhole() throws {
        let url = try PostgresTestServer.unencodedURL(database: database.name, user: "mig_test", password: "e")
        let wrong = try mig(["status"], url: url)
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("password authentication failed for user \"mig_test\""), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains(":e@"))
    }

    /// libpq reads a URL's password only up to the first `/` or `@`; the rest would land in the host,
    /// port or database name, where libpq's own messages would show it.
    @Test func aPasswordWithAnUnencodedSlashOrAtSignIsRefusedWithoutPrintingIt() throws {
        for password in ["x7Q/SECRET", "x7Q@SECRET"] {
            let url = try PostgresTestServer.unencodedURL(database: database.name, user: "mig_test", password: password)
            let result = try mig(["up", "--format", "json"], url: url)
            #expect(result.status == 2)
            #expect(result.stderr.contains("percent-encode"), "\(result.stderr)")
            expectNowhere(["SECRET", "x7Q"], in: result)
        }
    }
}
