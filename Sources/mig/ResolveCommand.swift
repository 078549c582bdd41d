import ArgumentParser
import Foundation
import MigKit

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle a dirty migration by hand, after repairing the database.",
        discussion: """
            A migration that runs outside a transaction (-- mig:no-transaction) and fails part-way is \
            recorded dirty, and `mig up` resumes it at the failing statement once that is fixed — as \
            long as the statements that had run are unchanged. When they changed, or a down failed \
            part-way, repair the database yourself and tell mig what state it is in: --applied (its \
            changes are in place; recorded with the current file's checksum) or --not-applied (its \
            row is removed and `mig up` runs it again from the start). Either way a `resolved` line \
            goes into the events record (`mig log`).
            """
    )

    @Argument(help: "The version of the dirty migration.")
    var version: Version

    @Flag(help: "What the migration's effect on the database is now.")
    var resolution: DirtyResolution

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try runReportingErrors {
            let (_, runner) = try database.runner(readOnly: false) { try $0.loadCatalog() }
            try runner.resolve(version, as: resolution)
            Console.note("migration \(version) marked \(resolution.rawValue)")
        }
    }
}

extension DirtyResolution: EnumerableFlag {}
