import Foundation

/// A folder managed by mig: its root, its configuration and its migration directory.
///
/// The root is the nearest folder, from the starting one upwards, that holds
/// `.migrate/config.toml`; without one, the starting folder with default settings.
public struct Project: Sendable {
    public let root: URL
    public let configuration: Configuration
    /// Whether the configuration came from a file (`false`: defaults).
    public let hasConfigurationFile: Bool

    public init(root: URL, configuration: Configuration, hasConfigurationFile: Bool) {
        self.root = root
        self.configuration = configuration
        self.hasConfigurationFile = hasConfigurationFile
    }

    /// Finds the project that `directory` belongs to and reads its configuration.
    public static func discover(from directory: URL) throws(ConfigurationFile.Failure) -> Project {
        let start = directory.standardizedFileURL
        var candidate = start
        while true {
            let file = candidate.appending(path: ConfigurationFile.relativePath)
            if FileManager.default.fileExists(atPath: file.path) {
                return try load(root: candidate, file: file)
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { break }
            candidate = parent
        }
        return Project(root: start, configuration: Configuration(), hasConfigurationFile: false)
    }

    private static func load(root: URL, file: URL) throws(ConfigurationFile.Failure) -> Project {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigurationFile.Failure(path: file.path, line: nil, message: "cannot be read")
        }
        let text: String
        do {
            text = try SourceText.normalize(data)
        } catch {
            throw ConfigurationFile.Failure(path: file.path, line: error.line, message: "is not valid UTF-8")
        }
        let configuration = try ConfigurationFile.parse(text, path: file.path)
        return Project(root: root, configuration: configuration, hasConfigurationFile: true)
    }

    /// The migration directory on disk.
    public var migrationDirectory: URL { root.appending(path: configuration.migrations.directory) }

    /// The migration directory as a catalog source, showing paths relative to the root.
    public var migrationSource: DirectorySource {
        DirectorySource(directory: migrationDirectory, displayPrefix: configuration.migrations.directory)
    }

    /// The catalog reader with the project's layout, `require_down` and `ignore` settings.
    public var catalogLoader: CatalogLoader {
        let settings = configuration.migrations
        return CatalogLoader(layout: settings.layout, requireDown: settings.requireDown, ignore: IgnorePatterns(settings.ignore))
    }

    /// Reads the catalog of the migration directory with the configured layout. A missing
    /// directory is an error (a wrong `dir` must not read as "no migrations"), unless
    /// `allowingMissingDirectory` (`mig new`, which creates it). `upScriptsOnly` leaves the down
    /// files unread (`CatalogLoader.readsDownScripts`), for a command that never uses them.
    public func loadCatalog(allowingMissingDirectory: Bool = false, upScriptsOnly: Bool = false) throws -> Catalog {
        if !allowingMissingDirectory, !FileManager.default.fileExists(atPath: migrationDirectory.path) {
            throw CatalogError.missingDirectory(configuration.migrations.directory)
        }
        var loader = catalogLoader
        loader.readsDownScripts = !upScriptsOnly
        return try loader.load(from: migrationSource)
    }

    /// The database URL to use: the flag, else `MIG_DATABASE_URL`, else `DATABASE_URL`, else `[database] url`
    /// (which may name an environment variable as `env:NAME`).
    public func databaseURL(flag: String?, environment: [String: String]) throws(ProjectError) -> String {
        if let flag { return flag }
        if let url = environment["MIG_DATABASE_URL"], !url.isEmpty { return url }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        guard let configured = configuration.database.url else { throw .noDatabaseURL }
        guard configured.hasPrefix("env:") else { return configured }
        let name = String(configured.dropFirst(4))
        guard let url = environment[name], !url.isEmpty else { throw .unsetEnvironmentVariable(name) }
        return url
    }
}

/// Problems with the project's set-up that stop a command before it starts.
public enum ProjectError: Error, Sendable, Equatable, CustomStringConvertible {
    case noDatabaseURL
    case unsetEnvironmentVariable(String)

    public var description: String {
        switch self {
        case .noDatabaseURL:
            "no database given: pass --database URL, set MIG_DATABASE_URL, or set [database] url in .migrate/config.toml"
        case .unsetEnvironmentVariable(let name):
            "[database] url reads the environment variable \(name), which is not set"
        }
    }
}
