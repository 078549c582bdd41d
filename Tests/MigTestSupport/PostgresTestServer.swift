import Foundation
import Testing

/// The PostgreSQL server that `scripts/test` starts (`scripts/postgres-server`), and throw-away
/// databases on it: one fresh database per test.
///
/// Without `MIG_TEST_POSTGRES_URL` the tests that need the server are disabled with a reason —
/// unless `CI` is set, in which case they run and fail, so CI can never pass without PostgreSQL.
public enum PostgresTestServer {
    static let environment = ProcessInfo.processInfo.environment

    /// `postgres://mig_test:…@127.0.0.1:PORT/postgres`: a role that may create databases.
    public static var url: String? { environment["MIG_TEST_POSTGRES_URL"] }
    /// The server's private Unix socket folder.
    public static var socketDirectory: String? { environment["MIG_TEST_POSTGRES_SOCKET"] }

    /// Whether tests that need the server should run: it is there, or CI demands it.
    public static var shouldRun: Bool { url != nil || environment["CI"] != nil }

    public struct MissingServer: Error, CustomStringConvertible {
        public var description: String {
            "MIG_TEST_POSTGRES_URL is not set but CI is: run the suite with scripts/test, which starts PostgreSQL"
        }
    }

    static func requiredURL() throws -> URLComponents {
        guard let url, let components = URLComponents(string: url) else { throw MissingServer() }
        return components
    }

    /// The role's password (for wrong-password tests that must not echo it).
    public static func password() throws -> String { try requiredURL().password ?? "" }

    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` with the user and password written exactly as
    /// given, not percent-encoded (as people write them).
    public static func unencodedURL(database: String, user: String, password: String, port: Int? = nil) throws
        -> String
    {
        let components = try requiredURL()
        return
            "postgres://\(user):\(password)@\(components.host ?? "127.0.0.1"):\(port ?? components.port ?? 5432)/\(database)"
    }

    /// The server's TCP port and host.
    public static func address() throws -> (host: String, port: Int) {
        let components = try requiredURL()
        return (components.host ?? "127.0.0.1", components.port ?? 5432)
    }

    /// The server URL with another database, user or password.
    public static func url(database: String, user: String? = nil, password: String? = nil) throws -> String {
        var components = try requiredURL()
        components.path = "/" + database
        if let user { components.user = user }
        if let password { components.password = password }
        return components.string!
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs a test only with the test server (always under CI, where a missing server fails it).
    public static var postgres: Self {
        .enabled(
            if: PostgresTestServer.shouldRun,
            "needs MIG_TEST_POSTGRES_URL: run scripts/test, or eval \"$(scripts/postgres-server start)\"")
    }
}

/// A database of its own for one test, dropped (with any leftover connections) when released.
public final class PostgresTestDatabase {
    public let name: String
    public let url: String

    public init() throws {
        name = "mig_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        url = try PostgresTestServer.url(database: name)
        try Self.psql(database: "postgres", "CREATE DATABASE \(name)")
    }

    deinit {
        _ = try? Self.psql(database: "postgres", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// The first column of each row `sql` returns, run with `psql` (independent of mig's driver).
    @discardableResult
    public func query(_ sql: String) throws -> [String] {
        try Self.psql(database: name, sql).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .filter { !$0.isEmpty }
    }

    @discardableResult
    static func psql(database: String, _ sql: String) throws -> String {
        let binaries = ProcessInfo.processInfo.environment["MIG_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
        let result = try ChildProcess.run(
            URL(fileURLWithPath: binaries).appending(path: "psql"),
            ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", try PostgresTestServer.url(database: database), "-c", sql])
        guard result.status == 0 else { throw PsqlFailure(message: result.stderr) }
        return result.stdout
    }

    public struct PsqlFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "psql failed: \(message)" }
    }
}

/// A login role of its own for one test, with the password the test chooses, allowed to create in
/// the `public` schema of `database`; dropped with what it owns when released.
public final class PostgresTestRole {
    public let name: String
    private let database: String

    public init(password: String, database: PostgresTestDatabase) throws {
        name = "mig_role_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        self.database = database.name
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        try PostgresTestDatabase.psql(
            database: database.name,
            "CREATE ROLE \(name) LOGIN PASSWORD \(literal); GRANT \(name) TO CURRENT_USER; "
                + "GRANT CREATE ON SCHEMA public TO \(name)")
    }

    deinit {
        // Its objects live in the test database, which may have been dropped already.
        _ = try? PostgresTestDatabase.psql(database: database, "DROP OWNED BY \(name)")
        _ = try? PostgresTestDatabase.psql(database: "postgres", "DROP ROLE IF EXISTS \(name)")
    }
}
