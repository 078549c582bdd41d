import Foundation

extension ShadowReplay {
    /// The replay that `mig shadow`, `check` and `schema` run for `project`: shadows of its dialect
    /// (PostgreSQL: on `shadowURL`, else `[shadow] url`, else a private cluster, `announce`d first),
    /// with the snapshot cache of `.migrate/cache` unless `cached` is false or `[shadow] cache_size`
    /// is 0. A PostgreSQL cache keeps template databases, and without a server URL keeps the
    /// private cluster itself in `.migrate/cache/postgres` so that they outlive the run.
    public static func of(
        _ project: Project, shadowURL: String? = nil, cached: Bool, announce: @escaping () -> Void = {}
    ) throws -> ShadowReplay {
        let configuration = project.configuration
        let connector = DatabaseConnector(root: project.root, configuration: configuration.database)
        let directory = configuration.migrations.directory
        let bytes = configuration.shadow.cacheSize * 1_048_576
        let folder = cached && bytes > 0 ? ShadowSnapshotCache.folder(of: project) : nil
        switch configuration.migrations.dialect {
        case .sqlite:
            return ShadowReplay(
                directoryPrefix: directory, cache: cached ? ShadowSnapshotCache(project: project) : nil,
                makeDatabase: try connector.shadowFactory(for: .sqlite))
        case .postgres:
            let extensions = configuration.shadow.extensions
            // Started on first use: a run whose replays and measurement all come from the cache's
            // files (`check --shadow` pushed again) starts no server.
            let server = LazyShadowServer {
                try PostgresShadowServer(
                    url: shadowURL ?? configuration.shadow.url, settings: configuration.database,
                    roles: configuration.shadow.roles, extensions: extensions,
                    keptClusterFolder: folder?.appending(path: "postgres"), announce: announce)
            }
            let cache = folder.map {
                ShadowSnapshotCache(
                    folder: $0,
                    store: LazySnapshotStore(server: server) {
                        PostgresSnapshotTemplates(server: $0, byteLimit: bytes, extensions: extensions)
                    })
            }
            return ShadowReplay(directoryPrefix: directory, cache: cache) { try server.server().makeDatabase() }
        }
    }
}

/// A PostgreSQL shadow server started when first needed; a failure to start is kept and thrown
/// again to every later caller.
final class LazyShadowServer {
    private let start: () throws -> PostgresShadowServer
    private var started: Result<PostgresShadowServer, any Error>?

    init(_ start: @escaping () throws -> PostgresShadowServer) { self.start = start }

    var isStarted: Bool { started != nil }

    func server() throws -> PostgresShadowServer {
        if started == nil { started = Result { try start() } }
        return try started!.get()
    }
}

/// The template-database snapshots of a server that starts only when a snapshot is opened, kept
/// or looked for. A server that cannot start has no snapshots here; the replay's own request for
/// a database then reports why it cannot start.
final class LazySnapshotStore: ShadowSnapshotStore {
    let dialect = Dialect.postgres
    private let server: LazyShadowServer
    private let make: (PostgresShadowServer) -> PostgresSnapshotTemplates
    private var templates: PostgresSnapshotTemplates?

    init(server: LazyShadowServer, make: @escaping (PostgresShadowServer) -> PostgresSnapshotTemplates) {
        self.server = server
        self.make = make
    }

    private func store() -> PostgresSnapshotTemplates? {
        if templates == nil, let started = try? server.server() { templates = make(started) }
        return templates
    }

    func contains(_ key: String) -> Bool { store()?.contains(key) ?? false }

    func open(_ key: String, makeDatabase: ShadowDatabaseFactory) throws(ShadowSnapshotDamage) -> (any DatabaseDriver)? {
        try store()?.open(key, makeDatabase: makeDatabase)
    }

    func keep(_ database: any DatabaseDriver, as key: String) { store()?.keep(database, as: key) }

    /// Nothing to say about a server that never started.
    func takeNotes() -> [String] { server.isStarted ? store()?.takeNotes() ?? [] : [] }
}
