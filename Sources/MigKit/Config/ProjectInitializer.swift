import Foundation

/// Sets a folder up for mig (`mig init`): writes `.migrate/config.toml` describing the
/// migration folder it finds (so a goose, dbmate, golang-migrate, diesel or Flyway project is
/// adopted as it is) and `.migrate/.gitignore` for local state. Never overwrites a config.
public struct ProjectInitializer: Sendable {
    /// Folders other tools keep migrations in, tried in this order when no folder is given.
    public static let conventionalDirectories = [
        "db/migrations", "migrations", "db/migrate", "sql/migrations", "database/migrations",
        "src/main/resources/db/migration",
    ]

    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// What `mig init` decided, and what it wrote.
    public struct Outcome: Sendable, Equatable {
        public let configuration: Configuration
        /// Migrations already in the folder when it was adopted.
        public let existingMigrations: Int
        /// Paths written, relative to the root.
        public let writtenFiles: [String]
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case configurationExists(String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .configurationExists(let path):
                "\(path) already exists: mig init never overwrites it; edit it, or delete it and run mig init again"
            case .cannotWrite(let path, let reason): "\(path): cannot be written: \(reason)"
            }
        }
    }

    /// Detects the settings for the folder `directory` (or the first conventional folder that
    /// exists) and the given dialect, then writes the files unless `dryRun`.
    public func run(directory: String?, dialect: Dialect, dryRun: Bool = false) throws -> Outcome {
        let configFile = root.appending(path: ConfigurationFile.relativePath)
        if FileManager.default.fileExists(atPath: configFile.path) {
            throw Failure.configurationExists(ConfigurationFile.relativePath)
        }
        let folder = directory ?? Self.conventionalDirectories.first { isDirectory(root.appending(path: $0)) }
            ?? Configuration.Migrations().directory
        var configuration = Configuration()
        configuration.migrations.directory = folder
        configuration.migrations.dialect = dialect
        let source = DirectorySource(directory: root.appending(path: folder), displayPrefix: folder)
        let catalog = try CatalogLoader().load(from: source)
        if let layout = catalog.layout {
            configuration.migrations.layout = .fixed(layout)
        }
        if let scheme = Self.dominantScheme(catalog.migrations.map(\.version)) {
            configuration.migrations.versioning = scheme
        }
        configuration.migrations.requireDown = catalog.migrations.allSatisfy { $0.down != nil }
        configuration.database.url = dialect == .sqlite ? "sqlite:db/dev.sqlite3" : "env:DATABASE_URL"
        // Two branches that each add a migration then conflict in .migrate/guard when merged.
        configuration.migrations.guardFile = true

        let files = [
            (ConfigurationFile.relativePath, ConfigurationWriter.text(for: configuration)),
            (".migrate/.gitignore", "# Local state of mig: caches and scratch files, never committed.\n/cache/\n/tmp/\n"),
            (MergeGuard.relativePath, try MergeGuard.text(for: source)),
        ]
        if !dryRun {
            for (path, text) in files {
                let url = root.appending(path: path)
                do {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    if path.hasSuffix(".gitignore") || path == MergeGuard.relativePath, FileManager.default.fileExists(atPath: url.path) { continue }
                    try Data(text.utf8).write(to: url, options: .withoutOverwriting)
                } catch {
                    throw Failure.cannotWrite(path: path, reason: error.localizedDescription)
                }
            }
        }
        return Outcome(
            configuration: configuration, existingMigrations: catalog.migrations.count, writtenFiles: files.map(\.0))
    }

    private func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func dominantScheme(_ versions: [Version]) -> VersioningScheme? {
        var counts: [VersioningScheme: Int] = [:]
        for version in versions { counts[version.scheme, default: 0] += 1 }
        return VersioningScheme.allCases.filter { counts[$0] != nil }.max { counts[$0]! < counts[$1]! }
    }
}

/// Writes a `Configuration` as the commented TOML that `mig init` leaves for people to edit.
enum ConfigurationWriter {
    static func text(for configuration: Configuration) -> String {
        let migrations = configuration.migrations
        let layout: String
        switch migrations.layout {
        case .auto: layout = "auto"
        case .fixed(let fixed): layout = fixed.rawValue
        }
        return """
            # mig configuration; README.md ("Configuration") describes every key.
            # Command-line options beat the environment, which beats this file.

            [migrations]
            dir = "\(migrations.directory)"
            layout = "\(layout)"          # auto | pair | sections | directory | split | flyway
            versioning = "\(migrations.versioning.rawValue)"  # timestamp | sequential | hybrid
            dialect = "\(migrations.dialect.rawValue)"        # sqlite | postgres
            require_down = \(migrations.requireDown)
            guard = \(migrations.guardFile)          # keep .migrate/guard so branches adding migrations conflict on merge

            [git]
            # base = "main"          # default: the first of origin/HEAD, main, master

            [database]
            url = "\(configuration.database.url ?? "")"   # a URL, or "env:NAME" to read it from the environment
            history_table = "\(configuration.database.historyTable)"

            [shadow]
            roundtrip = \(configuration.shadow.roundtrip)

            """
    }
}
