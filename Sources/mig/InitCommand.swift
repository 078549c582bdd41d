import ArgumentParser
import Foundation
import MigKit

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set this folder up for mig: write .migrate/config.toml and .migrate/.gitignore.",
        discussion: """
            Detects an existing migration folder (db/migrations, migrations, db/migrate, \
            sql/migrations, database/migrations, src/main/resources/db/migration) with its \
            layout and versioning, so a goose, dbmate, golang-migrate, diesel or Flyway project \
            is adopted as it is. Never overwrites an existing config.
            """
    )

    @Option(name: .customLong("dir"), help: "The migration folder, relative to this folder.")
    var directory: String?

    @Option(help: "The SQL dialect of your databases: sqlite or postgres.")
    var dialect: Dialect = .sqlite

    @Flag(help: "Show what would be written without writing it.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            let outcome = try ProjectInitializer(root: root).run(directory: directory, dialect: dialect, dryRun: dryRun)
            let settings = outcome.configuration.migrations
            let layout: String
            if case .fixed(let fixed) = settings.layout { layout = fixed.rawValue } else { layout = "auto" }
            switch output.format {
            case .json:
                try Console.printJSON(
                    InitReport(
                        directory: settings.directory, layout: layout, versioning: settings.versioning.rawValue,
                        dialect: settings.dialect.rawValue, existingMigrations: outcome.existingMigrations,
                        files: outcome.writtenFiles, dryRun: dryRun))
            case .text:
                let verb = dryRun ? "would write" : "wrote"
                for file in outcome.writtenFiles { Console.print("\(verb) \(file)") }
                Console.print(
                    "migrations: \(settings.directory) (\(outcome.existingMigrations) found, layout \(layout), "
                        + "\(settings.versioning.rawValue) versions, \(settings.dialect.rawValue))")
            }
        }
    }
}

private struct InitReport: Encodable {
    let directory: String
    let layout: String
    let versioning: String
    let dialect: String
    let existingMigrations: Int
    let files: [String]
    let dryRun: Bool
}

extension Dialect: ExpressibleByArgument {}
extension VersioningScheme: ExpressibleByArgument {}
