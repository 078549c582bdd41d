import Foundation

/// Where PostgreSQL shadow databases come from: by default a private, throw-away cluster that mig
/// starts itself (`PostgresPrivateCluster`), or a server given by URL (`--shadow-url`,
/// `[shadow] url`) on which it creates uniquely named databases and drops them afterwards.
public final class PostgresShadowServer {
    private let serverURL: PostgresServerURL
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
            cluster = nil
            serverURL = try PostgresServerURL(url)
        } else {
            announce()
            let cluster = try PostgresPrivateCluster()
            self.cluster = cluster
            serverURL = try PostgresServerURL(cluster.url)
        }
        admin = try PostgresConnection(url: serverURL.text, connectTimeout: settings.connectTimeout)
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
                message: "cannot create a shadow database on \(serverURL.redacted): \(error.error.message)",
                code: error.error.code, hint: "the shadow server's user needs the CREATEDB privilege")
        }
        created.append(name)
        return try PostgresDriver(url: serverURL.with(database: name), settings: settings)
    }
}

/// A `postgres://` URL taken apart just enough to point it at another database.
struct PostgresServerURL {
    let text: String
    private let prefix: String
    private let query: String

    init(_ text: String) throws(DatabaseError) {
        guard PostgresConnectionString.isPostgres(text), let scheme = text.range(of: "://") else {
            throw DatabaseError(
                message:
                    "the shadow server must be given as a postgres:// URL, not '\(DatabaseLocation.redacted(text))'")
        }
        self.text = text
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        prefix = String(text[..<authorityEnd])
        query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
    }

    func with(database: String) -> String { "\(prefix)/\(database)\(query)" }

    var redacted: String { DatabaseLocation.redacted(text) }
}
