import ArgumentParser
import Foundation
import MigKit

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the record of what happened to a database's migrations, oldest first.",
        discussion: """
            Every change mig makes to the history table is also appended to the events record \
            (<history_table>_events), in the same transaction: applied, reverted, started, failed, baselined, \
            adopted, repaired, resolved and repeatable-applied, each with when, who (Git's user.name \
            or the OS user, and on PostgreSQL the database user), the Git commit and a detail. A \
            `mig down` removes the history row, but its line stays here. Reads only: it writes \
            nothing (SQLite opens the file read-only). A database whose history an earlier mig wrote has no record of the \
            time before; it starts with the first change this mig makes.
            """
    )

    @Argument(help: "Only the events of these versions (as versions compare: 0003 is 3).")
    var versions: [Version] = []

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let (url, driver) = try database.open(project, readOnly: true)
            let events = try driver.historyEvents().of(versions)
            switch output.format {
            case .json:
                try Console.printJSON(
                    LogReport(database: DatabaseLocation.redacted(url), events: events.map(LogReport.Entry.init)))
            case .text:
                guard !events.isEmpty else {
                    Console.note("no events recorded yet: the record starts with the first change this mig makes")
                    return
                }
                var rows = [
                    ["ID", "AT", "EVENT", "VERSION", "NAME", "BY", "COMMIT", "DETAIL"].map { Console.paint($0, .bold) }
                ]
                for event in events {
                    rows.append([
                        event.id.map(String.init) ?? "", HistoryText.date(event.at), event.kind.rawValue,
                        event.version ?? "R", event.name,
                        event.by + (event.databaseUser.map { " (\($0))" } ?? ""),
                        event.gitCommit.map { String($0.prefix(12)) } ?? "", event.detail ?? "",
                    ])
                }
                Console.print(Console.table(rows))
            }
        }
    }
}

/// `mig log --format json`: stable field names.
private struct LogReport: Encodable {
    struct Entry: Encodable {
        let id: Int64?
        let event: String
        let version: String?
        let name: String
        let checksum: String?
        let at: Date
        let by: String
        let databaseUser: String?
        let gitCommit: String?
        let detail: String?

        init(_ event: HistoryEvent) {
            id = event.id
            self.event = event.kind.rawValue
            version = event.version
            name = event.name
            checksum = event.checksum
            at = event.at
            by = event.by
            databaseUser = event.databaseUser
            gitCommit = event.gitCommit
            detail = event.detail
        }
    }

    let database: String
    let events: [Entry]
}
