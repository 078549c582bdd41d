import ArgumentParser
import Foundation
import MigKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set this folder up for mig: write .migrate/config.toml and .migrate/.gitignore.",
        discussion: """
            Finds the migration folder anywhere below this folder (the files Git tracks, else the \
            file system), ranked by how many files fit a layout, and detects its layout, versioning \
            and dialect (from the tool's own configuration, else from PostgreSQL-only SQL), so a \
            goose, dbmate, golang-migrate, diesel, sqlx or Flyway project is adopted as it is. \
            Prints what it found and why, and the files it cannot explain. Never overwrites an \
            existing config. Exits 2 when it finds nothing to adopt; `--dir DIR` names the folder \
            (created when it does not exist, to start a new project). With `--database URL`, it \
            then adopts that database as `mig adopt` does: the history another tool wrote there is \
            recorded in mig's history (the URL is not written to the config).
            """
    )

    @Option(name: .customLong("dir"), help: "The migration folder, relative to this folder (created when missing).")
    var directory: String?

    @Option(help: "The SQL dialect of your databases: sqlite or postgres (default: detected).")
    var dialect: Dialect?

    @Flag(help: "Show what would be written without writing it.")
    var dryRun = false

    @Option(
        name: .customLong("database"),
        help: "A database another tool migrated, to adopt once the config is written (as `mig adopt` does).")
    var databaseURL: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            let outcome = try ProjectInitializer(root: root).run(
                directory: directory, dialect: dialect ?? databaseURL.flatMap(DatabaseConnector.dialect(of:)),
                dryRun: dryRun)
            let settings = outcome.configuration.migrations
            let layout: String
            if case .fixed(let fixed) = settings.layout { layout = fixed.rawValue } else { layout = "auto" }
            // What was written comes first, so a refused adoption is read after it.
            if output.format == .text { printText(outcome, layout: layout) }
            let adoption = try databaseURL.map { (url: $0, plan: try adopt($0, outcome: outcome, root: root)) }
            switch output.format {
            case .json:
                try Console.printJSON(
                    InitReport(
                        directory: settings.directory, layout: layout, versioning: settings.versioning.rawValue,
                        dialect: settings.dialect.rawValue, dialectEvidence: outcome.dialectEvidence,
                        existingMigrations: outcome.existingMigrations, found: outcome.found,
                        alsoFound: outcome.alsoFound, unexplained: outcome.unexplained,
                        createdDirectory: outcome.createsDirectory, files: outcome.writtenFiles, dryRun: dryRun,
                        adoption: adoption.map {
                            AdoptReport($0.plan, database: DatabaseLocation.redacted($0.url), dryRun: dryRun)
                        }))
            case .text:
                if let adoption { showAdoption(adoption.plan, dryRun: dryRun) }
            }
        }
    }

    /// Adopts the database at `url` with the configuration just written (or, in a dry run, that
    /// would be), reading nothing but the database and the migration folder.
    private func adopt(_ url: String, outcome: ProjectInitializer.Outcome, root: URL) throws -> AdoptionPlan {
        let project = Project(root: root, configuration: outcome.configuration, hasConfigurationFile: !dryRun)
        let catalog = try project.loadCatalog(allowingMissingDirectory: true)
        let driver = try DatabaseConnector(root: root, configuration: outcome.configuration.database)
            .open(url, readOnly: dryRun)
        let runner = MigrationRunner(
            driver: driver, catalog: catalog,
            context: RunContext.current(for: project, environment: ProcessInfo.processInfo.environment))
        return try runner.adopt(ForeignTableChoice(), dryRun: dryRun)
    }

    private func printText(_ outcome: ProjectInitializer.Outcome, layout: String) {
        let settings = outcome.configuration.migrations
        let verb = dryRun ? "would " : ""
        if let found = outcome.found {
            Console.print(
                "found \(found.path): \(found.files) file(s) named for the \(found.layout.rawValue) layout "
                    + "(\(found.layout.filePattern))")
        } else if outcome.createsDirectory {
            Console.print("\(verb)create \(settings.directory): it does not exist yet")
        }
        for other in outcome.alsoFound.prefix(5) {
            Console.print(
                "also found \(other.path): \(other.files) file(s), \(other.layout.rawValue) layout (pass --dir to adopt it instead)"
            )
        }
        let dialectWhy: String
        if let evidence = outcome.dialectEvidence {
            dialectWhy = "\(evidence.location) \(evidence.reason)"
        } else if dialect != nil {
            dialectWhy = "given with --dialect"
        } else if databaseURL.flatMap(DatabaseConnector.dialect(of:)) != nil {
            dialectWhy = "the database given with --database is one"
        } else {
            dialectWhy =
                "no PostgreSQL-only syntax in the migrations and no tool configuration naming a database "
                + "(pass --dialect postgres if they run on PostgreSQL)"
        }
        Console.print("dialect \(settings.dialect.rawValue): \(dialectWhy)")
        if !outcome.unexplained.isEmpty {
            Console.print(
                "\(outcome.unexplained.count) file(s) in the folder mig cannot explain (below): rename them or move them out of the folder"
            )
            Console.printDiagnostics(outcome.unexplained)
        }
        for file in outcome.writtenFiles { Console.print("\(dryRun ? "would write" : "wrote") \(file)") }
        Console.print(
            "migrations: \(settings.directory) (\(outcome.existingMigrations) found, layout \(layout), "
                + "\(settings.versioning.rawValue) versions, \(settings.dialect.rawValue))")
    }
}

private struct InitReport: Encodable {
    let directory: String
    let layout: String
    let versioning: String
    let dialect: String
    let dialectEvidence: DialectEvidence?
    let existingMigrations: Int
    let found: MigrationFolderCandidate?
    let alsoFound: [MigrationFolderCandidate]
    let unexplained: [Diagnostic]
    let createdDirectory: Bool
    let files: [String]
    let dryRun: Bool
    /// With `--database`: what was adopted.
    let adoption: AdoptReport?
}

extension Dialect: ExpressibleByArgument {}
extension VersioningScheme: ExpressibleByArgument {}
