import ArgumentParser
import Foundation
import MigKit

/// `--database URL`, shared by every command that talks to a database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database"),
        help:
            ArgumentHelp(
                "The database URL (sqlite:path, sqlite::memory:, postgres://…). Default: MIG_DATABASE_URL, "
                    + "DATABASE_URL, [database] url."))
    var url: String?

    /// The project's database URL (flag, environment, config) and the database opened on it.
    func open(_ project: Project, readOnly: Bool) throws -> (url: String, driver: any DatabaseDriver) {
        let url = try project.databaseURL(flag: url, environment: ProcessInfo.processInfo.environment)
        let driver = try DatabaseConnector(root: project.root, configuration: project.configuration.database)
            .open(url, readOnly: readOnly)
        return (url, driver)
    }

    /// A runner on the current project's database, for a command that changes it: the catalog
    /// comes from `loadCatalog` (by default `catalogForApplying`, whose errors stop the command
    /// before the database is opened), the run context from Git and the environment. With
    /// `rehearsing`, a PostgreSQL database's rehearsal copies come from the project's shadow server.
    func runner(
        readOnly: Bool, rehearsing: Bool = false, loadCatalog: (Project) throws -> Catalog = catalogForApplying
    ) throws -> (url: String, runner: MigrationRunner) {
        let project = try currentProject()
        let catalog = try loadCatalog(project)
        let (url, driver) = try open(project, readOnly: readOnly)
        let context = RunContext.current(for: project, environment: ProcessInfo.processInfo.environment)
        // The private cluster that `mig shadow` keeps with the snapshot cache, when the cache is on.
        let keptCluster =
            project.configuration.shadow.cacheSize > 0
            ? ShadowSnapshotCache.folder(of: project).appending(path: "postgres") : nil
        let source =
            rehearsing
            ? DatabaseConnector(root: project.root, configuration: project.configuration.database).rehearsalSource(
                for: url, shadow: project.configuration.shadow, keptClusterFolder: keptCluster,
                announce: announcePrivateCluster)
            : nil
        return (url, MigrationRunner(driver: driver, catalog: catalog, context: context, rehearsalSource: source))
    }
}

/// Reads the catalog for a command that changes a database: its problems are printed, and
/// errors among them stop the command (exit 1) before anything is opened.
func catalogForApplying(_ project: Project) throws -> Catalog {
    let catalog = try project.loadCatalog()
    Console.printDiagnostics(catalog.diagnostics)
    if catalog.diagnostics.hasErrors {
        Console.error("the migration directory has the problems above: fix them before applying migrations")
        throw ExitCode(1)
    }
    return catalog
}

/// `catalogForApplying` with the placeholders of the files that opt in replaced, for the commands
/// that run the SQL (`up`, `down`, `redo`).
func catalogForRunning(_ project: Project) throws -> Catalog {
    try substitutingPlaceholders(in: try catalogForApplying(project), of: project)
}

/// `catalog` with its placeholders replaced (`Placeholders`): `[placeholders]`, the environment, and
/// the Flyway built-ins mig knows from the configuration. An undefined one stops the command (exit 1)
/// with its file and line, before any database is opened; with `json`, the `ErrorReport` of the first
/// goes to stdout too.
func substitutingPlaceholders(in catalog: Catalog, of project: Project, json: Bool = false) throws -> Catalog {
    let placeholders = Placeholders(project: project, environment: ProcessInfo.processInfo.environment)
    do {
        return try placeholders.substitute(in: catalog)
    } catch {
        let message = error.description(under: project.configuration.migrations.directory)
        Console.error(message)
        if json {
            let first = error.diagnostics(under: project.configuration.migrations.directory).first?.location
            try? Console.printJSON(
                ErrorReport(code: "placeholder", message: message, file: first?.path, line: first?.line).document)
        }
        throw ExitCode(1)
    }
}

/// A shadow replay into throw-away databases of the project's dialect.
/// `shadowURL` (else `[shadow] url`) names a PostgreSQL server for throw-away databases. Snapshots
/// (`.migrate/cache`) are used unless `noCache` or the project has no configuration file (as for history).
func shadowReplay(for project: Project, shadowURL: String? = nil, noCache: Bool = false) throws -> ShadowReplay {
    try ShadowReplay.of(
        project, shadowURL: shadowURL, cached: !noCache && project.hasConfigurationFile,
        announce: announcePrivateCluster)
}

/// Says on a terminal why the first shadow of a PostgreSQL project takes a moment.
private func announcePrivateCluster() {
    guard Console.isTerminal else { return }
    Console.note("starting a private PostgreSQL cluster for the shadow (a couple of seconds)…")
}
