import Foundation

/// Sets a folder up for mig (`mig init`): finds the migration folder anywhere below it (so a
/// goose, dbmate, golang-migrate, diesel, sqlx, Prisma or Flyway project is adopted as it is),
/// works out its layout, versioning and dialect, says why, and writes `.migrate/config.toml`
/// and `.migrate/.gitignore`. Never overwrites a config, and never writes one naming a folder
/// that does not exist.
public struct ProjectInitializer: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// What `mig init` decided, why, and what it wrote.
    public struct Outcome: Sendable {
        public let configuration: Configuration
        /// Migrations already in the folder when it was adopted.
        public let existingMigrations: Int
        /// The folder adopted, when `mig init` found it rather than being told.
        public let found: MigrationFolderCandidate?
        /// Other folders of migrations it found, best first.
        public let alsoFound: [MigrationFolderCandidate]
        /// Why the dialect is what it is; `nil` when given with `--dialect`.
        public let dialectEvidence: DialectEvidence?
        /// Files in the folder that no layout explains or that cannot be used (the catalog's
        /// findings, but for missing downs and duplicate versions).
        public let unexplained: [Diagnostic]
        /// Whether the folder was named with `--dir` and did not exist (it is created).
        public let createsDirectory: Bool
        /// Paths written, relative to the root.
        public let writtenFiles: [String]
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case configurationExists(String)
        case cannotWrite(path: String, reason: String)
        case nothingToAdopt
        case notAFolder(String)
        case outsideProject(String)

        public var description: String {
            switch self {
            case .configurationExists(let path):
                "\(path) already exists: mig init never overwrites it; edit it, or delete it and run mig init again"
            case .cannotWrite(let path, let reason): "\(path): cannot be written: \(reason)"
            case .nothingToAdopt:
                "found no migrations to adopt below this folder (no .sql file is named like a migration): "
                    + "run mig init in your project's root, name the folder with --dir DIR, or start a new project "
                    + "with `mig init --dir db/migrations` (mig creates the folder)"
            case .notAFolder(let path): "\(path) exists but is not a folder: name the migration folder with --dir DIR"
            case .outsideProject(let path):
                "\(path) is outside this folder: give --dir relative to the project root, without `..` "
                    + "(run mig init in the folder that holds both the project and its migrations)"
            }
        }
    }

    /// Finds (or takes, with `directory`) the migration folder, detects its settings — the
    /// dialect unless given — and writes the files unless `dryRun`.
    public func run(directory: String?, dialect: Dialect?, dryRun: Bool = false) throws -> Outcome {
        let configFile = root.appending(path: ConfigurationFile.relativePath)
        if FileManager.default.fileExists(atPath: configFile.path) {
            throw Failure.configurationExists(ConfigurationFile.relativePath)
        }
        let candidates = MigrationFolderFinder(root: root).candidates()
        let folder: String
        var createsDirectory = false
        if let directory {
            guard !directory.hasPrefix("/"), !directory.split(separator: "/").contains("..") else {
                throw Failure.outsideProject(directory)
            }
            folder = directory
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.appending(path: folder).path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw Failure.notAFolder(folder) }
            } else {
                createsDirectory = true
            }
        } else if let best = candidates.first {
            folder = best.path
        } else {
            throw Failure.nothingToAdopt
        }
        let found = directory == nil ? candidates.first : nil
        var configuration = Configuration()
        configuration.migrations.directory = folder
        let source = DirectorySource(directory: root.appending(path: folder), displayPrefix: folder)
        let catalog = try CatalogLoader().load(from: source)
        if let layout = catalog.layout {
            configuration.migrations.layout = .fixed(layout)
        }
        if let scheme = Self.dominantScheme(catalog.migrations.map(\.version)) {
            configuration.migrations.versioning = scheme
        }
        let evidence = dialect == nil ? DialectDetector(root: root).detect(folder: folder, source: source) : nil
        let chosenDialect = dialect ?? evidence?.dialect ?? .sqlite
        configuration.migrations.dialect = chosenDialect
        configuration.migrations.requireDown = catalog.migrations.allSatisfy { $0.down != nil }
        configuration.database.url = chosenDialect == .sqlite ? "sqlite:db/dev.sqlite3" : "env:DATABASE_URL"
        // Two branches that each add a migration then conflict in .migrate/guard when merged.
        configuration.migrations.guardFile = true

        let files = [
            (ConfigurationFile.relativePath, ConfigurationWriter.text(for: configuration)),
            (".migrate/.gitignore", "# Local state of mig: caches and scratch files, never committed.\n/cache/\n/tmp/\n"),
            (MergeGuard.relativePath, try MergeGuard.text(for: source)),
        ]
        if !dryRun {
            if createsDirectory { try create(folder) }
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
            configuration: configuration, existingMigrations: catalog.migrations.count, found: found,
            alsoFound: candidates.filter { $0.path != folder }, dialectEvidence: evidence,
            unexplained: catalog.diagnostics.filter { $0.code != .missingDown && $0.code != .duplicateVersion },
            createsDirectory: createsDirectory, writtenFiles: files.map(\.0))
    }

    private func create(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(at: root.appending(path: folder), withIntermediateDirectories: true)
        } catch {
            throw Failure.cannotWrite(path: folder, reason: error.localizedDescription)
        }
    }

    static func dominantScheme(_ versions: [Version]) -> VersioningScheme? {
        var counts: [VersioningScheme: Int] = [:]
        for version in versions { counts[version.scheme, default: 0] += 1 }
        return VersioningScheme.allCases.filter { counts[$0] != nil }.max { counts[$0]! < counts[$1]! }
    }
}

extension Layout {
    /// How the layout names its files, for `mig init`'s explanation.
    public var filePattern: String {
        switch self {
        case .pair: "VERSION_name.up.sql + VERSION_name.down.sql"
        case .sections: "one VERSION_name.sql with up/down markers"
        case .directory: "VERSION_name/up.sql + VERSION_name/down.sql"
        case .split: "up/VERSION_name.sql + down/VERSION_name.sql"
        case .flyway: "V<version>__name.sql"
        case .prisma: "VERSION_name/migration.sql (up only)"
        }
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
