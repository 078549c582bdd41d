import ArgumentParser
import Foundation
import MigKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which migrations a database has applied and which are pending.",
        discussion: """
            States: applied, pending, out-of-order (pending but older than an applied one), \
            missing-file (applied, but its files are gone), changed (applied, but its up script \
            changed since) and dirty (a migration outside a transaction failed part-way). \
            Reads only: opens the database read-only and never creates it. With --exit-code, \
            exits 1 when any migration is not applied (pending, out-of-order, missing-file, \
            changed or dirty), so a script can tell an up-to-date database from one that needs work. \
            With --drift, compares the database's schema with the schema its applied migrations give \
            instead (as `mig diff` does) and exits 1 on drift.
            """
    )

    @Flag(
        help:
            "Exit 1 when a migration is pending, out-of-order, missing-file, changed or dirty (0 when all are applied)."
    )
    var exitCode = false

    @Flag(
        help: ArgumentHelp(
            "List every difference between the database's schema and the schema its applied migrations give; "
                + "exit 1 on drift."))
    var drift = false

    @Flag(help: "With --drift: replay from nothing, neither using nor keeping snapshots in .migrate/cache.")
    var noCache = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if noCache && !drift { throw ValidationError("--no-cache only applies with --drift") }
        if exitCode && drift {
            throw ValidationError("--exit-code does not apply with --drift, which already exits 1 on drift")
        }
    }

    func run() throws {
        if drift {
            try DriftComparison(database: database, format: output.format, noCache: noCache).run()
            return
        }
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let catalog = try project.loadCatalog()
            let (url, driver) = try database.open(project, readOnly: true)
            let planner = MigrationPlanner(
                catalog: catalog, applied: try driver.appliedMigrations(),
                appliedRepeatables: try driver.appliedRepeatables(), dialect: driver.dialect)
            let statuses = planner.status()
            let repeatables = planner.repeatableStatus()
            switch output.format {
            case .json:
                try Console.printJSON(
                    StatusReport(
                        database: DatabaseLocation.redacted(url),
                        migrations: statuses.map {
                            StatusReport.Entry(
                                $0,
                                advice: planner.dirtyAdvice(
                                    for: $0, directoryPrefix: project.configuration.migrations.directory))
                        },
                        repeatables: repeatables.map(StatusReport.RepeatableEntry.init),
                        diagnostics: catalog.diagnostics))
            case .text:
                var rows = [["VERSION", "NAME", "STATE", "APPLIED AT", "BY"].map { Console.paint($0, .bold) }]
                for status in statuses {
                    rows.append([
                        status.version.text, status.name, Self.paint(status.state),
                        status.applied.map { HistoryText.date($0.appliedAt) } ?? "", status.applied?.appliedBy ?? "",
                    ])
                }
                for status in repeatables {
                    rows.append([
                        "R", status.repeatable.name, Self.paint(status.state),
                        status.applied.map { HistoryText.date($0.appliedAt) } ?? "", status.applied?.appliedBy ?? "",
                    ])
                }
                if statuses.isEmpty && repeatables.isEmpty {
                    Console.note("no migrations yet: create one with `mig new <name>`")
                } else {
                    Console.print(Console.table(rows))
                }
                let counts = MigrationStatus.State.allCases.compactMap { state in
                    let count = statuses.filter { $0.state == state }.count
                    return count == 0 ? nil : "\(count) \(state.rawValue)"
                }
                let repeatableCounts = RepeatableStatus.State.allCases.compactMap { state in
                    let count = repeatables.filter { $0.state == state }.count
                    return count == 0 ? nil : "\(count) repeatable \(state.rawValue)"
                }
                if !(counts + repeatableCounts).isEmpty {
                    Console.note((counts + repeatableCounts).joined(separator: ", "))
                }
                for status in statuses {
                    guard
                        let advice = planner.dirtyAdvice(
                            for: status, directoryPrefix: project.configuration.migrations.directory)
                    else { continue }
                    Console.warning(advice)
                }
            }
            Console.printDiagnostics(catalog.diagnostics)
            if exitCode, statuses.contains(where: { $0.state != .applied }) || repeatables.contains(where: \.isDue) {
                throw ExitCode(1)
            }
        }
    }

    private static func paint(_ state: RepeatableStatus.State) -> String {
        switch state {
        case .applied: Console.paint(state.rawValue, .green)
        case .pending: state.rawValue
        case .outdated: Console.paint(state.rawValue, .yellow)
        }
    }

    private static func paint(_ state: MigrationStatus.State) -> String {
        switch state {
        case .applied: Console.paint(state.rawValue, .green)
        case .pending: state.rawValue
        case .outOfOrder, .missingFile, .changed: Console.paint(state.rawValue, .yellow)
        case .dirty: Console.paint(state.rawValue, .red)
        }
    }
}

/// Dates as people read them in tables: UTC, to the second.
enum HistoryText {
    static func date(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt))
    }
}

/// `mig status --format json`: stable field names.
private struct StatusReport: Encodable {
    struct Entry: Encodable {
        let version: String
        let name: String
        let state: String
        let path: String?
        let appliedAt: Date?
        /// Where it stands in the order the database applied its migrations (1 first).
        let appliedOrder: Int64?
        let appliedBy: String?
        let gitCommit: String?
        let checksum: String?
        let executionMs: Int?
        /// For a dirty migration: where `mig up` resumes, or how to resolve it.
        let advice: String?

        init(_ status: MigrationStatus, advice: String?) {
            self.advice = advice
            version = status.version.text
            name = status.name
            state = status.state.rawValue
            path = status.path
            appliedAt = status.applied?.appliedAt
            appliedOrder = status.applied?.appliedOrder
            appliedBy = status.applied?.appliedBy
            gitCommit = status.applied?.gitCommit
            checksum = status.applied?.checksum
            executionMs = status.applied?.executionMilliseconds
        }
    }

    /// A Flyway repeatable migration (`R__name.sql`) and where it stands.
    struct RepeatableEntry: Encodable {
        let name: String
        let state: String
        let path: String
        let appliedAt: Date?
        let appliedBy: String?
        let checksum: String?

        init(_ status: RepeatableStatus) {
            name = status.repeatable.name
            state = status.state.rawValue
            path = status.repeatable.script.path
            appliedAt = status.applied?.appliedAt
            appliedBy = status.applied?.appliedBy
            checksum = status.applied?.checksum
        }
    }

    let database: String
    let migrations: [Entry]
    let repeatables: [RepeatableEntry]
    let diagnostics: [Diagnostic]
}
