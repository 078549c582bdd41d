import ArgumentParser
import Foundation
import MigKit

struct Fix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Renumber this branch's new migrations so they sort after the base branch's newest.",
        discussion: """
            Gives each migration the branch adds (from the first one that sorts too early, is taken \
            on the base, or is not in the configured versioning scheme) the next version in the \
            scheme: next timestamp, next sequential number or next hybrid counter. Every file of \
            each migration is renamed; contents are never touched. Rewrites .migrate/guard when \
            the project keeps one, and the schema file (`mig schema`) when it keeps that. Afterwards `mig check` passes the reorder checks.
            """
    )

    @Option(help: "The branch or commit this branch will merge into (default: [git] base, origin/HEAD, main, master).")
    var base: String?

    @Flag(help: "Show the renames without making them.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let outcome = try MigrationRenumberer(project: project).run(base: base, dryRun: dryRun)
            if !dryRun, !outcome.renames.isEmpty { refreshSchemaFile(of: project) }
            switch output.format {
            case .json:
                try Console.printJSON(outcome)
            case .text:
                let verb = dryRun ? "would rename" : "renamed"
                for move in outcome.renames.flatMap(\.moves) { Console.print("\(verb) \(move.from) → \(move.to)") }
                if outcome.renames.isEmpty {
                    Console.print("nothing to renumber: this branch's migrations already sort after \(outcome.base)")
                }
                if outcome.guardUpdated { Console.print("updated \(MergeGuard.relativePath)") }
            }
        }
    }
}
