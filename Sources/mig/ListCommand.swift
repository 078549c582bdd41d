import ArgumentParser
import Foundation
import MigKit

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the migrations of the migration directory in version order.",
        discussion: """
            Exits 1 when a file cannot be used (its problems are printed to stderr): a file that no \
            layout explains, a migration that cannot be parsed, a goose Go migration. Files left out \
            on purpose go in [migrations] ignore.
            """
    )

    @OptionGroup var output: OutputOptions

    func run() throws {
        var catalog: Catalog?
        var dialect = Dialect.sqlite
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            dialect = project.configuration.migrations.dialect
            catalog = try project.loadCatalog()
        }
        guard let catalog else { return }
        switch output.format {
        case .json:
            try Console.printJSON(ListReport(catalog, dialect: dialect))
        case .text:
            var rows = [["VERSION", "NAME", "LAYOUT", "DOWN", "CHECKSUM"].map { Console.paint($0, .bold) }]
            for migration in catalog.migrations {
                rows.append([
                    migration.version.text, migration.name, migration.layout.rawValue,
                    migration.down == nil ? "no" : "yes", String(migration.up.checksum.prefix(12)),
                ])
            }
            for repeatable in catalog.repeatables {
                rows.append(["R", repeatable.name, "flyway", "-", String(repeatable.script.checksum.prefix(12))])
            }
            for callback in catalog.callbacks {
                rows.append([
                    "callback", callback.path, "flyway", "-",
                    callback.runs ? "runs on \(callback.event)" : "not run by mig",
                ])
            }
            if rows.count > 1 {
                Console.print(Console.table(rows))
            } else if catalog.diagnostics.isEmpty {
                Console.note("no migrations yet: create one with `mig new <name>`")
            } else {
                Console.note("no usable migrations: the files below could not be used")
            }
        }
        Console.printDiagnostics(catalog.diagnostics)
        if catalog.diagnostics.hasErrors { throw ExitCode(1) }
    }
}

/// `mig list --format json`: stable field names.
private struct ListReport: Encodable {
    struct Entry: Encodable {
        let version: String
        let name: String
        let layout: String
        let files: [String]
        let upChecksum: String
        let downChecksum: String?
        let hasDown: Bool
        /// Whether the up script runs without mig's transaction (`transaction` is not `"transaction"`).
        let noTransaction: Bool
        /// How the up script runs: `transaction` (mig's), `none` (statement by statement, resumable),
        /// `own` (its own BEGIN/COMMIT, as written), or `unreadable` (the dialect's parser rejects it).
        let transaction: String
        /// Why it does not run in mig's transaction, or why it cannot be read.
        let transactionReason: String?
    }

    let layout: String?
    let migrations: [Entry]
    let repeatables: [String]
    let callbacks: [FlywayCallback]
    let diagnostics: [Diagnostic]

    init(_ catalog: Catalog, dialect: Dialect) {
        layout = catalog.layout?.rawValue
        migrations = catalog.migrations.map { migration in
            let mode = Result { () throws(SQLReadError) in try TransactionMode(script: migration.up, dialect: dialect) }
            return Entry(
                version: migration.version.text, name: migration.name, layout: migration.layout.rawValue,
                files: migration.files, upChecksum: migration.up.checksum, downChecksum: migration.down?.checksum,
                hasDown: migration.down != nil,
                noTransaction: (try? mode.get()) != .wrapped,
                transaction: (try? mode.get())?.name ?? "unreadable",
                transactionReason: (try? mode.get())?.reason ?? mode.failure?.description)
        }
        repeatables = catalog.repeatables.map(\.name)
        callbacks = catalog.callbacks
        diagnostics = catalog.diagnostics
    }
}

extension Result {
    /// The error, when this is a failure.
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
