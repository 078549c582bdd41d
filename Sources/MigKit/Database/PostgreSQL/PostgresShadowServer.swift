import Foundation

/// Where PostgreSQL shadow databases come from: by default a private, throw-away cluster that mig
/// starts itself (`PostgresPrivateCluster`), or a server given by URL (`--shadow-url`,
/// `[shadow] url`) on which it creates uniquely named databases and drops them afterwards.
public final class PostgresShadowServer {
    /// The server's URL, or connection string, as given.
    private let serverURL: String
    private let settings: Configuration.Database
    /// Kept alive as long as the server is used; stopping it removes every shadow at once.
    private let cluster: PostgresPrivateCluster?
    private let admin: PostgresConnection
    private var created: [String] = []

    /// Connects to `url`'s server, or (without one) starts a private cluster, calling `announce`
    /// first because that takes a couple of seconds.
    public init(url: String?, settings: Configuration.Database, announce: () -> Void) throws {
        var settings = settings
        settings.lock = "advisory"
        self.settings = settings
        if let url {
            guard PostgresConnectionString.isPostgres(url) || PostgresConnectionString.isKeyValue(url) else {
                throw DatabaseError(
                    message: "the shadow server must be given as a postgres:// URL or libpq key/value words")
            }
            cluster = nil
            serverURL = url
        } else {
            announce()
            let cluster = try PostgresPrivateCluster()
            self.cluster = cluster
            serverURL = cluster.url
        }
        admin = try PostgresConnection(url: serverURL, connectTimeout: settings.connectTimeout)
    }

    deinit {
        guard cluster == nil else { return }
        for name in created {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
        }
    }

    /// A fresh, empty database on the server, connected.
    public func makeDatabase() throws -> any DatabaseDriver {
        let name =
            "mig_shadow_\(ProcessInfo.processInfo.processIdentifier)_\(created.count)_"
            + UUID().uuidString.prefix(8).lowercased()
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch {
            throw DatabaseError(
                message: "cannot create a shadow database on \(admin.redactedURL): \(error.error.message)",
                code: error.error.code, hint: "the shadow server's user needs the CREATEDB privilege")
        }
        created.append(name)
        return try PostgresDriver(url: serverURL, database: name, settings: settings)
    }
}
