import ArgumentParser
import Foundation
import MigKit

struct Baseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Mark every migration up to a version as applied, without running it.",
        discussion: """
            For a database whose schema was built another way (restored from a dump, created by \
            hand, migrated by a tool mig cannot read): records each migration at or below VERSION \
            with its current checksum, in one transaction. Migrations already recorded the same way \
            are left alone; if any is recorded differently (dirty, or from a changed file), nothing \
            is written.
            """
    )

    @Argument(help: "The last version the database already has.")
    var version: Version

    @Flag(help: "Show what would be recorded; write nothing.")
    var dryRun = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let (url, runner) = try database.runner(readOnly: dryRun)
            let plan = try runner.baseline(to: version, dryRun: dryRun)
            switch output.format {
            case .json:
                try Console.printJSON(BaselineReport(plan, database: DatabaseLocation.redacted(url), dryRun: dryRun))
            case .text:
                for record in plan.records {
                    Console.print("\(dryRun ? "would mark" : "marked") \(record.version)_\(record.name) applied")
                }
                if !plan.alreadyApplied.isEmpty {
                    Console.note(
                        "\(plan.alreadyApplied.count) migration(s) at or below \(version) were already applied")
                }
                Console.note(
                    dryRun
                        ? "dry run: nothing was written"
                        : "marked \(plan.records.count) migration(s) applied without running them")
            }
        }
    }
}

/// `mig baseline --format json`: stable field names.
private struct BaselineReport: Encodable {
    let database: String
    let dryRun: Bool
    let version: String
    let recorded: [RecordedRow]
    let alreadyApplied: [String]

    init(_ plan: BaselinePlan, database: String, dryRun: Bool) {
        self.database = database
        self.dryRun = dryRun
        version = plan.target.text
        recorded = plan.records.map(RecordedRow.init)
        alreadyApplied = plan.alreadyApplied.map(\.text)
    }
}
