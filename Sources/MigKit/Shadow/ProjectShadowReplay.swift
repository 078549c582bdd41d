import Foundation

extension ShadowReplay {
    /// The replay that `mig shadow`, `check` and `schema` run for `project`: shadows of its dialect
    /// (PostgreSQL: on `shadowURL`, else `[shadow] url`, else a private cluster, `announce`d first),
    /// with the snapshot cache of `.migrate/cache` unless `cached` is false or `[shadow] cache_size`
    /// is 0. A PostgreSQL cache keeps template databases, and without a server URL keeps the
    /// private cluster itself in `.migrate/cache/postgres` so that they outlive the run.
    public static func of(
        _ project: Project, shadowURL: String? = nil, cached: Bool, announce: () -> Void = {}
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
            let server = try PostgresShadowServer(
                url: shadowURL ?? configuration.shadow.url, settings: configuration.database,
                roles: configuration.shadow.roles, extensions: extensions,
                keptClusterFolder: folder?.appending(path: "postgres"), announce: announce)
            let cache = folder.map {
                ShadowSnapshotCache(
                    folder: $0,
                    store: PostgresSnapshotTemplates(server: server, byteLimit: bytes, extensions: extensions))
            }
            return ShadowReplay(directoryPrefix: directory, cache: cache) { try server.makeDatabase() }
        }
    }
}
