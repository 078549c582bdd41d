import ArgumentParser
import Foundation
import MigKit

struct Adopt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Take over a database another migration tool migrated: record what it applied in mig's history.",
        discussion: """
            Reads the history table of goose, golang-migrate, dbmate, diesel, Flyway, Prisma or sqlx \
            the way that tool reads it, matches its versions with the migration files, and records \
            them in mig's history (with the current files' checksums) without running anything, so \
            that `mig status` shows the truth and `mig up` continues where the other tool stopped. \
            The other tool's table is left untouched. A migration that tool left failed half-way is \
            recorded dirty; a version with no file here is recorded without one and reported. \
            Refuses when mig's history already has rows.
            """
    )

    @Option(
        name: .customLong("from"),
        help: ArgumentHelp(
            "The tool whose history to read (found automatically when only one is there).", valueName: "tool"))
    var tool: ForeignTool?

    @Option(help: "The tool's history table, when it was configured with another name (needs --from).")
    var table: String?

    @Flag(help: "Show what would be recorded; write nothing.")
    var dryRun = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if table != nil, tool == nil { throw ValidationError("--table needs --from TOOL") }
    }

    func run() throws {
        try runReportingErrors(json: output.format == .json) {
            let (url, runner) = try database.runner(readOnly: dryRun)
            let plan = try runner.adopt(ForeignTableChoice(tool: tool, table: table), dryRun: dryRun)
            switch output.format {
            case .json:
                try Console.printJSON(AdoptReport(plan, database: DatabaseLocation.redacted(url), dryRun: dryRun))
            case .text: showAdoption(plan, dryRun: dryRun)
            }
        }
    }
}

/// What `mig adopt` (or `mig init --database`) recorded, or would record.
func showAdoption(_ plan: AdoptionPlan, dryRun: Bool) {
    Console.print(
        "found \(plan.table) (\(plan.tool.rawValue)): \(plan.foreignCount) migration(s) applied or failed; "
            + "\(plan.matched.count) matched with files here, \(plan.unmatched.count) without a file")
    for record in plan.records {
        Console.print(
            "\(dryRun ? "would record" : "recorded") \(record.version)_\(record.name) \(record.state.rawValue)")
    }
    for finding in plan.findings { Console.warning(finding) }
    if dryRun {
        Console.note("dry run: nothing was written")
    } else if plan.records.isEmpty {
        Console.note("nothing recorded: \(plan.table) lists no applied migration")
    } else {
        Console.note(
            "recorded \(plan.records.count) migration(s) in mig's history; \(plan.table) was left as it was. "
                + "Next: `mig status`, then `mig up`")
    }
}

extension ForeignTool: ExpressibleByArgument {}

/// One history row written (or to be written), for `--format json`.
struct RecordedRow: Encodable {
    let version: String
    let name: String
    let state: String
    let appliedAt: Date
    let appliedBy: String

    init(_ record: AppliedMigration) {
        version = record.version.text
        name = record.name
        state = record.state.rawValue
        appliedAt = record.appliedAt
        appliedBy = record.appliedBy
    }
}

/// `mig adopt --format json`: stable field names.
struct AdoptReport: Encodable {
    let database: String
    let dryRun: Bool
    let tool: String
    let table: String
    let foreignCount: Int
    let matched: [String]
    let unmatched: [String]
    let recorded: [RecordedRow]
    let findings: [String]

    init(_ plan: AdoptionPlan, database: String, dryRun: Bool) {
        self.database = database
        self.dryRun = dryRun
        tool = plan.tool.rawValue
        table = plan.table
        foreignCount = plan.foreignCount
        matched = plan.matched.map(\.text)
        unmatched = plan.unmatched.map(\.entry.version)
        recorded = plan.records.map(RecordedRow.init)
        findings = plan.findings
    }
}
