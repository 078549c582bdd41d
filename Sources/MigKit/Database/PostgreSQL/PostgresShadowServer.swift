import Foundation

/// Where PostgreSQL shadow databases come from: by default a private, throw-away cluster that mig
/// starts itself (`PostgresPrivateCluster`), or a server given by URL (`--shadow-url`,
/// `[shadow] url`) on which it creates uniquely named databases and drops them afterwards.
///
/// Like a real server, it has the roles the project declares (`[shadow] roles`: the private cluster
/// creates them; a given server must have them, as roles outlive the shadow databases), and every
/// shadow database gets the declared extensions (`[shadow] extensions`) before the replay.
public final class PostgresShadowServer {
    /// The server's URL, or connection string, as given.
    private let serverURL: String
    private let settings: Configuration.Database
    /// Kept alive as long as the server is used; stopping it removes every shadow at once.
    private let cluster: PostgresPrivateCluster?
    let admin: PostgresConnection
    /// Why a kept cluster was asked for and this run's is throw-away (`PostgresPrivateCluster.kept(in:)`).
    let clusterNote: String?
    private var created: [String] = []
    private let extensions: [String]
    /// The tablespace in memory that rehearsal copies go to in a kept cluster, once made
    /// (`memoryTablespace()`); `""` when there is none to make.
    private var memoryTablespaceName: String?

    /// Connects to `url`'s server, or (without one) starts a private cluster, calling `announce`
    /// first because that takes a couple of seconds; the private cluster runs the server binaries of
    /// `majorVersion` when they are installed (those of a target database's server), and is kept in
    /// `keptClusterFolder` between runs when given (and this run can have it).
    public init(
        url: String?, settings: Configuration.Database, roles: [String] = [], extensions: [String] = [],
        majorVersion: Int? = nil, keptClusterFolder: URL? = nil, announce: () -> Void
    ) throws {
        self.extensions = extensions
        var settings = settings
        settings.lock = "advisory"
        self.settings = settings
        if let url {
            guard PostgresConnectionString.isPostgres(url) || PostgresConnectionString.isKeyValue(url) else {
                throw DatabaseError(
                    message: "the shadow server must be given as a postgres:// URL or libpq key/value words")
            }
            cluster = nil
            clusterNote = nil
            serverURL = url
        } else {
            announce()
            let (cluster, note) =
                try keptClusterFolder.map { try PostgresPrivateCluster.kept(in: $0, majorVersion: majorVersion) }
                ?? (PostgresPrivateCluster(majorVersion: majorVersion), nil)
            self.cluster = cluster
            clusterNote = note
            serverURL = cluster.url
        }
        admin = try PostgresConnection(url: serverURL, connectTimeout: settings.connectTimeout)
        if cluster?.isKept == true { try dropLeftovers() }
        try prepare(roles)
    }

    /// Drops the shadow databases a killed run left in the kept cluster, which this run alone uses,
    /// then its tablespaces in memory (whose folders the killed run's watchdog removed).
    private func dropLeftovers() throws {
        let leftovers = try admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'mig\\_shadow\\_%' OR datname LIKE 'mig\\_snaptmp\\_%'",
            parameters: [])
        for row in 0..<leftovers.rowCount {
            guard let name = leftovers.value(row: row, column: 0) else { continue }
            try admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)", parameters: [])
        }
        let tablespaces = try admin.execute(
            "SELECT spcname FROM pg_tablespace WHERE spcname LIKE 'mig\\_memory\\_%'", parameters: [])
        for row in 0..<tablespaces.rowCount {
            guard let name = tablespaces.value(row: row, column: 0) else { continue }
            try admin.execute("DROP TABLESPACE IF EXISTS \(quoteIdentifier(name))", parameters: [])
        }
    }

    /// The tablespace in memory for this run's rehearsal copies in a kept cluster, made on first use;
    /// `nil` where there is none (a throw-away cluster, in memory as a whole or not; a given server;
    /// no memory file system with room).
    private func memoryTablespace() throws -> String? {
        if let memoryTablespaceName { return memoryTablespaceName.isEmpty ? nil : memoryTablespaceName }
        guard let folder = try cluster?.memoryTablespaceFolder() else {
            memoryTablespaceName = ""
            return nil
        }
        let name = "mig_memory_\(ProcessInfo.processInfo.processIdentifier)_" + UUID().uuidString.prefix(8).lowercased()
        try admin.execute("CREATE TABLESPACE \(quoteIdentifier(name)) LOCATION \(inlineLiteral(folder.path))")
        memoryTablespaceName = name
        return name
    }

    /// Creates the missing `roles` in the private cluster; on a given server, a missing one is an error.
    private func prepare(_ roles: [String]) throws {
        for role in roles {
            let exists = try admin.execute("SELECT count(*) FROM pg_roles WHERE rolname = $1", parameters: [role])
            guard exists.value(row: 0, column: 0) == "0" else { continue }
            guard cluster != nil else {
                throw DatabaseError(
                    message: "the shadow server \(admin.redactedURL) has no role \(role) ([shadow] roles)",
                    hint: "create it there (CREATE ROLE \(quoteIdentifier(role));), or leave [shadow] url unset so "
                        + "that mig's private cluster creates it")
            }
            try admin.execute("CREATE ROLE \(quoteIdentifier(role))", parameters: [])
        }
    }

    deinit {
        // A throw-away cluster goes as a whole; a kept one and a given server keep only the snapshots.
        guard cluster?.isKept ?? true else { return }
        for name in created {
            waitForSessionsToEnd(on: name)
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
        }
        if let memoryTablespaceName, !memoryTablespaceName.isEmpty {
            _ = try? admin.execute("DROP TABLESPACE IF EXISTS \(quoteIdentifier(memoryTablespaceName))")
        }
    }

    /// Where a database that outlives the run (a snapshot) goes whatever tablespace its source is in:
    /// on the disk (`pg_default`) in the private cluster, which may have a tablespace in memory;
    /// `nil` on a given server, which has none of mig's and may not let this role name one.
    var lastingTablespace: String? { cluster != nil ? "pg_default" : nil }

    /// Waits, looking every millisecond for at most a second, until no session is connected to the
    /// database `name`. A session its client just closed takes a few milliseconds to end, and
    /// `CREATE DATABASE … TEMPLATE` and `DROP DATABASE` that find it still there wait a tenth of a
    /// second at a time for it to go.
    func waitForSessionsToEnd(on name: String) {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(1),
            let sessions = try? admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
                parameters: [name]),
            sessions.value(row: 0, column: 0) != "0"
        {
            usleep(1000)
        }
    }

    /// `CREATE DATABASE name TEMPLATE template`. In the private cluster it copies the files
    /// (PostgreSQL 15 and later would otherwise write every block of the copy to the WAL: seconds
    /// for a snapshot of a large schema); on a given server it keeps the server's default, which
    /// does not force the checkpoints a file copy needs.
    func createDatabase(_ name: String, copying template: String, tablespace: String? = nil) throws(PostgresFailure) {
        let strategy = cluster != nil && admin.serverVersion >= 150000 ? " STRATEGY FILE_COPY" : ""
        let place = tablespace.map { " TABLESPACE \(quoteIdentifier($0))" } ?? ""
        try admin.execute(
            "CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE \(quoteIdentifier(template))\(strategy)\(place)")
    }

    /// A fresh, empty database on the server, connected. `inMemory`, it goes to the kept cluster's
    /// tablespace in memory when there is one: only for a database no snapshot is made from, since
    /// a snapshot copied from it would be there too and gone after a restart.
    public func makeDatabase(inMemory: Bool = false) throws -> any DatabaseDriver {
        try makeDatabase(copying: nil, inMemory: inMemory)
    }

    /// A new database on the server, connected: a copy of `template` (a kept snapshot, which has the
    /// extensions already), or without one fresh and empty (in memory as `makeDatabase(inMemory:)` says).
    func makeDatabase(copying template: String?, inMemory: Bool = false) throws -> PostgresDriver {
        let name =
            "mig_shadow_\(ProcessInfo.processInfo.processIdentifier)_\(created.count)_"
            + UUID().uuidString.prefix(8).lowercased()
        let tablespace = inMemory && template == nil ? try memoryTablespace() : nil
        do {
            try createDatabase(name, copying: template ?? "template0", tablespace: tablespace)
        } catch {
            throw DatabaseError(
                message: "cannot create a shadow database on \(admin.redactedURL): \(error.error.message)",
                code: error.error.code, hint: "the shadow server's user needs the CREATEDB privilege")
        }
        created.append(name)
        let database = try PostgresDriver(url: serverURL, database: name, settings: settings)
        guard template == nil else { return database }
        for name in extensions {
            do {
                try database.execute(sql: "CREATE EXTENSION IF NOT EXISTS \(quoteIdentifier(name))")
            } catch let error as DatabaseError {
                throw DatabaseError(
                    message: "cannot create the extension \(name) ([shadow] extensions) in a shadow database: "
                        + error.message,
                    code: error.code, hint: "install it on the machine of the shadow server (e.g. postgresql-contrib)")
            }
        }
        return database
    }

    /// The server's `server_version_num` (150018 for 15.18).
    var serverVersion: Int { admin.serverVersion }

    /// A fresh database on the server holding what `dump` (a plain-SQL `pg_dump`) creates, restored
    /// with `tools`' psql, stopping at the first error; connected.
    func makeDatabase(restoring dump: URL, with tools: PostgresClientTools) throws -> any DatabaseDriver {
        let database = try makeDatabase(inMemory: true)
        guard let name = created.last else { return database }
        try tools.run(
            "psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", dump.path],
            connection: try PostgresConnectionString(serverURL, environment: [:]), database: name,
            connectTimeout: settings.connectTimeout)
        return database
    }
}
