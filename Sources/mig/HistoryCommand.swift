import ArgumentParser
import Foundation
import MigKit

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show when each migration was added, changed, deleted or renamed, read from Git.",
        discussion: """
            For every migration the history of REF touched: the commit that added it, its author \
            and date, later commits that changed it, deletions (also one later undone by adding it again) and renames. A migration marked \
            "reordered" reached REF's line of history after a higher version already had: every \
            database deployed in between applied it out of order. The result is kept under \
            .migrate/cache (keyed by commit id, git-ignored, safe to delete), so asking again for an \
            unchanged ref is quick.
            """
    )

    @Argument(help: "The branch, tag or commit whose history to read.")
    var ref = "HEAD"

    @Flag(help: "Read the history from Git even when .migrate/cache has it (and do not store it there).")
    var noCache = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let cache = noCache || !project.hasConfigurationFile ? nil : HistoryCache(project: project)
            let reader = try MigrationHistoryReader(project: project)
            let (commit, history) = try reader.history(of: ref, cache: cache)
            let catalog = try reader.catalog(
                at: commit, loader: project.catalogLoader, displayPrefix: project.configuration.migrations.directory)
            let unusable = catalog.diagnostics.filter { [.unparseableName, .unusableFile, .invalidMigration].contains($0.code) }
            switch output.format {
            case .json:
                try Console.printJSON(
                    HistoryReport(ref: ref, commit: commit, migrations: history.records, diagnostics: unusable))
            case .text:
                printText(history)
                Console.printDiagnostics(unusable)
            }
            if unusable.hasErrors {
                if output.format == .text {
                    Console.error("the history above leaves out the files mig cannot use in \(ref) (listed above)")
                }
                throw ExitCode(1)
            }
        }
    }

    private func printText(_ history: MigrationHistory) {
        guard !history.records.isEmpty else {
            Console.note("no migrations in the history of \(ref)")
            return
        }
        var rows = [["VERSION", "NAME", "ADDED", "AUTHOR", "DATE", "EDITS", "STATE"].map { Console.paint($0, .bold) }]
        for record in history.records {
            let added = record.added
            rows.append([
                record.version.text, record.name, added?.id.short ?? "-", added?.author ?? "-",
                added?.day ?? "-",
                String(record.modified.count), state(record),
            ])
        }
        Console.print(Console.table(rows))
    }

    private func state(_ record: MigrationHistory.Record) -> String {
        var parts: [String] = []
        if let deleted = record.deleted {
            let what = record.renamedTo.map { "renamed to \($0)" } ?? "deleted"
            parts.append(Console.paint("\(what) in \(deleted.id.short)", .yellow))
        } else {
            parts.append("present")
        }
        for removal in record.removals {
            parts.append(Console.paint("deleted in \(removal.deleted.id.short), re-added in \(removal.restored.id.short)", .yellow))
        }
        if let from = record.renamedFrom { parts.append("renamed from \(from)") }
        if let higher = record.reachedAfter {
            parts.append(Console.paint("reordered: reached \(ref) after \(higher)", .red))
        }
        return parts.joined(separator: "; ")
    }
}

/// `mig history --format json`: stable field names.
private struct HistoryReport: Encodable {
    let ref: String
    let commit: GitObjectID
    let migrations: [MigrationHistory.Record]
    /// Files of the migration directory in `ref` that the history cannot account for.
    let diagnostics: [Diagnostic]
}
