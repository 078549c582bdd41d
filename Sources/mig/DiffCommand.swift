import ArgumentParser
import Foundation
import MigKit

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare a database's schema with the schema its applied migrations give.",
        discussion: """
            Replays exactly the migrations the database's history lists, in the order it applied them \
            (and the repeatables that ran on it), into a shadow — restoring unchanged prefixes from \
            .migrate/cache — and lists every difference with the database's actual schema as an object \
            path with both sides: `index users_email_idx: only in the database`, `table users / column \
            email: default 'x' in the migrations, no default in the database`. mig's own tables are left \
            out. The database is opened read-only. With --write NAME, writes a new migration (the next \
            version, never over a file) whose up makes the migrations' schema match the database and \
            whose down reverts it; what cannot be expressed safely (dropping a table's or column's data, \
            a type change, a SQLite table rebuild) becomes a commented TODO, and is listed. Exit status: \
            0 no drift (or the migration was written without TODOs), 1 drift or a file in the migration directory mig \
            cannot use (or the written migration has TODOs), 2 when the comparison cannot run or \
            --write is refused: the database has pending or out-of-order migrations (apply them first, \
            mig up, then run diff again), or a changed or dirty one makes the expected schema approximate.
            """
    )

    @Option(help: ArgumentHelp("Write the repair as a new migration with this name.", valueName: "name"))
    var write: String?

    @Flag(help: "Replay from nothing: neither use nor keep snapshots in .migrate/cache.")
    var noCache = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try DriftComparison(database: database, format: output.format, noCache: noCache, write: write).run()
    }
}

/// What `mig status --drift` and `mig diff` share: compare a database with its applied
/// migrations, print the differences, and for `--write` write the repair migration.
struct DriftComparison {
    let database: DatabaseOptions
    let format: OutputFormat
    let noCache: Bool
    var write: String?

    func run() throws {
        var document: DriftDocument?
        var refusal: String?
        try runReportingErrors(json: format == .json) {
            let project = try currentProject()
            let catalog = try substitutingPlaceholders(
                in: try project.loadCatalog(), of: project, json: format == .json)
            Console.printDiagnostics(catalog.diagnostics)
            if catalog.diagnostics.hasErrors {
                let message =
                    "the migration directory has the problems above: the schema the migrations give cannot be "
                    + "rebuilt until they are fixed"
                Console.error(message)
                if format == .json {
                    let first = catalog.diagnostics.first { $0.severity == .error }?.location
                    try Console.printJSON(
                        ErrorReport(code: "catalog", message: message, file: first?.path, line: first?.line).document)
                }
                throw ExitCode(1)
            }
            let (url, driver) = try database.open(project, readOnly: true)
            var repair: SchemaRepair?
            let drift = SchemaDrift(replay: try shadowReplay(for: project, noCache: noCache))
            let outcome = try drift.compare(driver, catalog: catalog) { shadow, differences in
                guard write != nil, !differences.isEmpty, let live = driver as? any SchemaDefinitionReading,
                    let made = shadow as? any SchemaDefinitionReading
                else { return }
                repair = try SchemaRepair.make(differences, dialect: driver.dialect, database: live, migrations: made)
            }
            switch outcome {
            case .replayFailed(let diagnostics):
                Console.printDiagnostics(diagnostics)
                throw DriftFailure()
            case .compared(let report):
                var written: DriftDocument.Written?
                if write != nil, report.hasDrift, let reason = report.reasonNotToWriteRepair {
                    refusal = reason
                } else if let write, let repair {
                    let scaffolder = Scaffolder(project: project)
                    let plan = try scaffolder.plan(
                        .init(description: write, body: MigrationText(up: repair.up, down: repair.down)))
                    try scaffolder.write(plan)
                    refreshSchemaFile(of: project)
                    written = .init(version: plan.version.text, files: plan.files.map(\.path), todos: repair.todos)
                }
                document = DriftDocument(
                    database: DatabaseLocation.redacted(url), drift: report.hasDrift, differences: report.differences,
                    replayed: report.replayed, repeatables: report.repeatables,
                    restoredFromCache: report.restoredFromCache, notes: report.notes, written: written)
            }
        }
        guard let document else { return }
        switch format {
        case .json: try Console.printJSON(document)
        case .text: printText(document)
        }
        if let refusal {
            Console.error("no migration written: " + refusal)
            throw ExitCode(2)
        }
        // A repair with TODOs leaves drift behind until they are done by hand.
        let settled = document.written.map { $0.todos.isEmpty } ?? false
        if document.drift && !settled { throw ExitCode(1) }
    }

    private func printText(_ document: DriftDocument) {
        for difference in document.differences { Console.print(difference.description) }
        for note in document.notes { Console.note("note: " + note) }
        let migrations =
            "its \(document.replayed.count) applied migration(s)"
            + (document.repeatables.isEmpty ? "" : " and \(document.repeatables.count) repeatable(s)")
        if document.restoredFromCache > 0 {
            Console.note(
                "replayed \(document.replayed.count - document.restoredFromCache) of \(document.replayed.count) "
                    + "migration(s); \(document.restoredFromCache) restored from .migrate/cache")
        }
        Console.note(
            document.drift
                ? "drift: \(document.differences.count) difference(s) between \(document.database) and the schema "
                    + "\(migrations) give"
                : "no drift: \(document.database) has the schema \(migrations) give")
        if write != nil, !document.drift { Console.note("nothing to write") }
        guard let written = document.written else { return }
        for file in written.files { Console.print("created \(file)") }
        for todo in written.todos { Console.warning("TODO in the migration: \(todo)") }
        Console.note(
            "\(document.database) already has these changes: record the migration there without running it "
                + "(`mig baseline \(written.version)` records it, and any older pending migration, as applied)")
    }
}

/// The applied migrations fail in the shadow (their findings are printed before), so there is no
/// expected schema to compare with.
private struct DriftFailure: Error, CustomStringConvertible {
    var description: String {
        "the applied migrations fail in the shadow (above), so the schema they give cannot be compared"
    }
}

/// `mig status --drift --format json` and `mig diff --format json`: stable field names.
private struct DriftDocument: Encodable {
    /// The migration `mig diff --write` created.
    struct Written: Encodable {
        let version: String
        let files: [String]
        /// Differences left as TODOs in the files.
        let todos: [String]
    }

    let database: String
    let drift: Bool
    let differences: [SchemaDifference]
    let replayed: [String]
    let repeatables: [String]
    let restoredFromCache: Int
    let notes: [String]
    let written: Written?

    private enum CodingKeys: String, CodingKey {
        case database, drift, differences, replayed, repeatables, restoredFromCache, notes, written
    }

    /// `written` is `null` when nothing was written, so the shape never changes.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(database, forKey: .database)
        try container.encode(drift, forKey: .drift)
        try container.encode(differences, forKey: .differences)
        try container.encode(replayed, forKey: .replayed)
        try container.encode(repeatables, forKey: .repeatables)
        try container.encode(restoredFromCache, forKey: .restoredFromCache)
        try container.encode(notes, forKey: .notes)
        try container.encode(written, forKey: .written)
    }
}
