import ArgumentParser
import Foundation
import MigKit

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Re-record the checksums of applied migrations whose files were edited on purpose.",
        discussion: """
            After an intentional edit of an applied migration (a comment, a fix already in place), \
            `mig status` calls it changed and `mig up` refuses. `mig repair` lists the changed \
            migrations (all, or the VERSIONs given), asks for confirmation (type y; or pass --yes), \
            and re-records each one's current checksum in one transaction. Nothing is run. The row \
            keeps when and by whom it was applied; the repair is a `repaired` line in the events \
            record (`mig log`): who, when, and the checksum it replaced.
            """
    )

    @Argument(help: "Only these versions (default: every changed migration).")
    var versions: [Version] = []

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    @Flag(help: "Show what would be re-recorded; write nothing.")
    var dryRun = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let (url, runner) = try database.runner(readOnly: dryRun)
            let chosen = versions.isEmpty ? nil : versions
            var plan = try runner.repairChecksums(of: chosen, dryRun: true)
            guard !plan.records.isEmpty else {
                Console.note("nothing to repair: no applied migration has changed since it was applied")
                try show(plan, database: url, done: false)
                return
            }
            if !dryRun {
                if !yes { try confirm(plan) }
                // Exactly what was shown and confirmed; a migration that stopped being changed meanwhile is refused.
                plan = try runner.repairChecksums(of: plan.records.map(\.version), dryRun: false)
            }
            try show(plan, database: url, done: !dryRun)
        }
    }

    private func confirm(_ plan: RepairPlan) throws {
        for record in plan.records { Console.note("  \(record.version)_\(record.name)") }
        Console.emit(
            "re-record the current checksum of these \(plan.records.count) migration(s)? [y/N] ", to: .standardError)
        guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased().trimmingCharacters(in: .whitespaces))
        else {
            Console.error("not confirmed: nothing was changed (answer y, or pass --yes)")
            throw ExitCode(1)
        }
    }

    private func show(_ plan: RepairPlan, database url: String, done: Bool) throws {
        switch output.format {
        case .json:
            try Console.printJSON(
                RepairReport(
                    database: DatabaseLocation.redacted(url), dryRun: dryRun,
                    recorded: plan.records.map(RecordedRow.init)))
        case .text:
            for record in plan.records {
                Console.print(
                    "\(done ? "re-recorded" : "would re-record") the checksum of \(record.version)_\(record.name)")
            }
            if dryRun { Console.note("dry run: nothing was written") }
        }
    }
}

/// `mig repair --format json`: stable field names.
private struct RepairReport: Encodable {
    let database: String
    let dryRun: Bool
    let recorded: [RecordedRow]
}
