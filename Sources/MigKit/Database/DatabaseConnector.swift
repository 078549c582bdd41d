import Foundation

/// Opens the database a URL names with the driver for its scheme.
///
/// The one place that knows which schemes exist; commands hand it the URL that
/// `Project.databaseURL(flag:environment:)` chose.
public struct DatabaseConnector: Sendable {
    /// The project root, against which relative SQLite paths are resolved.
    public let root: URL
    public let configuration: Configuration.Database

    public init(root: URL, configuration: Configuration.Database) {
        self.root = root
        self.configuration = configuration
    }

    /// Opens `url`; `readOnly` access never creates or changes anything (status, dry runs).
    public func open(_ url: String, readOnly: Bool = false) throws -> any DatabaseDriver {
        let location = try DatabaseLocation(url, root: root)
        switch location {
        case .sqlite(let path):
            return try SQLiteDriver(
                path: path, historyTable: configuration.historyTable, access: readOnly ? .readOnly : .readWrite,
                lockWait: DurationSetting.duration(configuration.lockWait) ?? .seconds(600))
        case .postgres(let url):
            return try PostgresDriver(url: url, settings: configuration, readOnly: readOnly)
        }
    }

    /// The dialect of the database `url` names, when it is one mig can open (`mig init --database`).
    public static func dialect(of url: String) -> Dialect? {
        switch try? DatabaseLocation(url, root: URL(fileURLWithPath: "/")) {
        case .sqlite?: .sqlite
        case .postgres?: .postgres
        case nil: nil
        }
    }
}

extension DatabaseConnector {
    /// Where shadows of `dialect` come from: fresh in-memory SQLite databases for SQLite projects.
    ///
    /// PostgreSQL shadows live on `shadowURL`'s server, or without one in a private cluster that
    /// this starts (calling `announce` first: it takes a couple of seconds) and that goes away with
    /// the returned factory; it has `roles` (`[shadow] roles`), and each database `extensions`.
    public func shadowFactory(
        for dialect: Dialect, shadowURL: String? = nil, roles: [String] = [], extensions: [String] = [],
        announce: () -> Void = {}
    ) throws -> ShadowDatabaseFactory {
        switch dialect {
        case .sqlite:
            let historyTable = configuration.historyTable
            return { try SQLiteDriver.inMemory(historyTable: historyTable) }
        case .postgres:
            let server = try PostgresShadowServer(
                url: shadowURL, settings: configuration, roles: roles, extensions: extensions,
                announce: announce)
            return { try server.makeDatabase() }
        }
    }
}

extension DatabaseConnector {
    /// Where a run on `url` gets its rehearsal copy when the database cannot copy itself: for
    /// PostgreSQL, a shadow database on `shadow.url`'s server, or in a private cluster of the target's
    /// major version where installed (started on the first copy, calling `announce` first), with
    /// `shadow.roles` and `shadow.extensions`. `nil` for SQLite, whose file copies itself. With
    /// `keptClusterFolder`, the private cluster is the one `mig shadow` keeps there (started in a
    /// fraction of a second instead of `initdb`), when this run can have it and it runs the
    /// binaries the rehearsal needs (`PostgresPrivateCluster.kept(in:majorVersion:)`).
    public func rehearsalSource(
        for url: String, shadow: Configuration.Shadow, keptClusterFolder: URL? = nil,
        announce: @escaping () -> Void = {}
    ) -> (any RehearsalSource)? {
        guard case .postgres? = try? DatabaseLocation(url, root: root) else { return nil }
        let settings = configuration
        return PostgresRehearsalSource(settings: settings) { majorVersion in
            try PostgresShadowServer(
                url: shadow.url, settings: settings, roles: shadow.roles, extensions: shadow.extensions,
                majorVersion: majorVersion, keptClusterFolder: keptClusterFolder, announce: announce)
        }
    }
}

/// What a database URL points at.
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file (absolute path), or `nil` for `sqlite::memory:`.
    case sqlite(path: String?)
    /// A PostgreSQL URL or libpq key/value string, handed to libpq as it is.
    case postgres(url: String)

    /// Parses `sqlite:path`, `sqlite://path`, `sqlite:///absolute/path`, `sqlite::memory:`,
    /// `postgres://…`/`postgresql://…` and libpq key/value words (`host=db dbname=app`). Relative SQLite
    /// paths are relative to `root`. A message about a URL never repeats more than its scheme, since
    /// any other part could hold a password.
    public init(_ url: String, root: URL) throws(DatabaseError) {
        if PostgresConnectionString.isPostgres(url) || PostgresConnectionString.isKeyValue(url) {
            self = .postgres(url: url)
            return
        }
        guard let colon = url.firstIndex(of: ":"), !url[..<colon].isEmpty else {
            throw DatabaseError(
                message: "the database URL is not a URL: write sqlite:path/to/file.db or postgres://…")
        }
        let scheme = url[..<colon].lowercased()
        var rest = String(url[url.index(after: colon)...])
        switch scheme {
        case "sqlite", "sqlite3":
            if rest.hasPrefix("//") { rest.removeFirst(2) }
            if let query = rest.firstIndex(of: "?") { rest = String(rest[..<query]) }
            if rest == ":memory:" {
                self = .sqlite(path: nil)
            } else if rest.isEmpty {
                throw DatabaseError(message: "'\(url)' names no file: write sqlite:path/to/file.db")
            } else {
                let path = rest.hasPrefix("/") ? rest : root.appending(path: rest).path
                self = .sqlite(path: URL(fileURLWithPath: path).standardizedFileURL.path)
            }
        case "postgres", "postgresql":
            throw DatabaseError(message: "libpq reads only lower-case postgres:// and postgresql:// URLs")
        default:
            let shown = scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) } ? "'\(scheme)' " : ""
            throw DatabaseError(
                message: "unknown database scheme \(shown)in the database URL: use sqlite: or postgres://")
        }
    }

    /// The URL as it may be shown: a PostgreSQL URL rebuilt from the parts libpq reads, with `***` for
    /// any password (see `PostgresConnectionString.redacted`); SQLite URLs hold no secret.
    public static func redacted(_ url: String) -> String {
        guard PostgresConnectionString.isPostgres(url) || PostgresConnectionString.isKeyValue(url) else {
            return url.lowercased().hasPrefix("sqlite") ? url : "(a database URL)"
        }
        return (try? PostgresConnectionString(url, environment: [:]).redacted) ?? "(a PostgreSQL URL libpq cannot read)"
    }
}
