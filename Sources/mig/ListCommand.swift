import ArgumentParser
import Foundation
import MigKit

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
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
        try runReportingErrors { catalog = try currentProject().loadCatalog() }
        guard let catalog else { return }
        switch output.format {
        case .json:
            try Console.printJSON(ListReport(catalog))
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
                rows.append(["callback", callback.path, "flyway", "-", "not run by mig"])
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
        let noTransaction: Bool
    }

    let layout: String?
    let migrations: [Entry]
    let repeatables: [String]
    let callbacks: [FlywayCallback]
    let diagnostics: [Diagnostic]

    init(_ catalog: Catalog) {
        layout = catalog.layout?.rawValue
        migrations = catalog.migrations.map {
            Entry(
                version: $0.version.text, name: $0.name, layout: $0.layout.rawValue, files: $0.files,
                upChecksum: $0.up.checksum, downChecksum: $0.down?.checksum, hasDown: $0.down != nil,
                noTransaction: $0.up.runsOutsideTransaction)
        }
        repeatables = catalog.repeatables.map(\.name)
        callbacks = catalog.callbacks
        diagnostics = catalog.diagnostics
    }
}
