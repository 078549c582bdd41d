import Foundation

/// PostgreSQL snapshots for `ShadowSnapshotCache`: template databases on the shadow server, so a
/// replay starts with `CREATE DATABASE … TEMPLATE mig_snap_…` instead of running the prefix again.
///
/// They outlive the run on a given server (`[shadow] url`) and in a kept private cluster
/// (`.migrate/cache/postgres`). A snapshot is copied from the shadow under a temporary name, given
/// the SHA-256 of its schema as a comment and closed to connections, and only then renamed to its
/// key's name: a run never finds a torn one. Opening one checks its copy against that digest, so a
/// snapshot changed since is dropped and noted, never trusted. Names hash the key with the
/// `[shadow] extensions` (which every shadow gets, outside the migrations), so projects sharing a
/// server share only what is the same. Bounded in bytes (`pg_database_size`): the oldest go first.
public final class PostgresSnapshotTemplates: ShadowSnapshotStore {
    public let dialect = Dialect.postgres
    private let server: PostgresShadowServer
    private let byteLimit: Int
    private let salt: String
    private var notes: [String]

    public init(server: PostgresShadowServer, byteLimit: Int, extensions: [String] = []) {
        self.server = server
        self.byteLimit = byteLimit
        salt = extensions.joined(separator: "\n")
        notes = server.clusterNote.map { [$0] } ?? []
    }

    static let prefix = "mig_snap_"

    /// The template database of `key` (63 bytes at most, PostgreSQL's limit).
    func name(_ key: String) -> String {
        Self.prefix + Script.checksum(of: Array("\(salt)\n\(key)".utf8)).prefix(48)
    }

    public func contains(_ key: String) -> Bool {
        let found = try? server.admin.execute("SELECT 1 FROM pg_database WHERE datname = $1", parameters: [name(key)])
        return (found?.rowCount ?? 0) > 0
    }

    public func open(_ key: String, makeDatabase: ShadowDatabaseFactory) throws(ShadowSnapshotDamage)
        -> (any DatabaseDriver)?
    {
        let name = name(key)
        guard
            let described = try? server.admin.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", parameters: [name]),
            described.rowCount > 0
        else { return nil }
        let database: PostgresDriver
        do {
            database = try server.makeDatabase(copying: name)
        } catch {
            // Dropped or in use by another run between the look-up and the copy: it stays as it is.
            throw ShadowSnapshotDamage(
                message: "could not copy the shadow snapshot \(name) (\((error as? DatabaseError)?.message ?? "\(error)")); "
                    + "replaying those migrations instead")
        }
        guard let digest = try? Self.digest(of: database.schemaSnapshot()),
            described.value(row: 0, column: 0) == Self.comment(digest)
        else {
            _ = try? server.admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))", parameters: [])
            throw ShadowSnapshotDamage(
                message: "ignored a damaged shadow snapshot (template database \(name), whose schema is not the one "
                    + "it was kept with); dropped it and replayed those migrations instead")
        }
        return database
    }

    public func keep(_ database: any DatabaseDriver, as key: String) {
        guard let shadow = database as? PostgresDriver, let digest = try? Self.digest(of: shadow.schemaSnapshot()),
            let source = try? shadow.connection.execute("SELECT current_database()", parameters: [])
                .value(row: 0, column: 0)
        else { return }
        let copy = "mig_snaptmp_\(ProcessInfo.processInfo.processIdentifier)_\(UUID().uuidString.prefix(8).lowercased())"
        let temporary = quoteIdentifier(copy)
        let admin = server.admin
        do {
            // PostgreSQL copies a database only while no one is connected to it.
            try shadow.closingSession {
                server.waitForSessionsToEnd(on: source)
                try server.createDatabase(copy, copying: source, tablespace: server.lastingTablespace)
            }
            try admin.execute("COMMENT ON DATABASE \(temporary) IS \(quoteLiteral(Self.comment(digest)))", parameters: [])
            try admin.execute("ALTER DATABASE \(temporary) ALLOW_CONNECTIONS false", parameters: [])
            try admin.execute("ALTER DATABASE \(temporary) RENAME TO \(quoteIdentifier(name(key)))", parameters: [])
        } catch {
            // Another run kept the same snapshot first, or the server refused: this copy is not needed.
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(temporary)", parameters: [])
            return
        }
        prune()
    }

    public func takeNotes() -> [String] {
        defer { notes = [] }
        return notes
    }

    /// Drops the oldest snapshots until the rest fit in `byteLimit`. One another run is copying
    /// right now cannot be dropped and stays until a later prune.
    private func prune() {
        guard
            let sizes = try? server.admin.execute(
                "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname LIKE 'mig\\_snap\\_%' "
                    + "ORDER BY oid DESC", parameters: [])
        else { return }
        var total = 0
        for row in 0..<sizes.rowCount {
            total += sizes.value(row: row, column: 1).flatMap(Int.init) ?? 0
            guard total > byteLimit, let name = sizes.value(row: row, column: 0) else { continue }
            _ = try? server.admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))", parameters: [])
        }
    }

    private static func comment(_ digest: String) -> String { "mig shadow snapshot, schema sha256 \(digest)" }

    /// A digest of `schema` that is the same in every process (unlike `hashValue`).
    static func digest(of schema: SchemaSnapshot) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Script.checksum(of: try encoder.encode(schema))
    }
}
