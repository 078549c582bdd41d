import ArgumentParser
import Foundation
import MigKit

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that this branch's migrations can merge into the base branch.",
        discussion: """
            Compares head (the working tree on top of HEAD, uncommitted migrations included) with \
            the base (--base, else [git] base, else the first of origin/HEAD, main, master) from \
            their merge base, reading history straight from Git. Reports duplicate-version, \
            reordered-version, edited-migration, deleted-migration, diverged-migration, missing-down, \
            unparseable-name and stale-guard (a file head has exactly as the base's tip has it is \
            never a finding), and on PostgreSQL the findings of `mig lint` for the migrations the \
            branch adds or changes; with --shadow also shadow-failed and order-drift (the schema a deployed \
            database gets, running the branch's migrations after base's, against version order), on PostgreSQL \
            the locks and rewrites of the branch's statements measured in a shadow with generated rows (as \
            `mig lint --measure`), and stale-schema when the file `mig schema` writes \
            exists and differs from the schema the branch's migrations produce. Exit status: 0 clean, 1 findings at error level, 2 when the check \
            cannot run (not a repository, missing base, shallow clone, no commits).
            """
    )

    @Option(help: "The branch or commit this branch will merge into (default: [git] base, origin/HEAD, main, master).")
    var base: String?

    @Flag(
        help:
            "Also replay the migrations into shadows in deploy order and in version order, and report order-drift; on PostgreSQL also measure the branch's locks and rewrites."
    )
    var shadow = false

    @Flag(help: "With --shadow or a schema file: replay from nothing, neither using nor keeping snapshots in .migrate/cache.")
    var noCache = false

    @Option(help: "Output format: text, json, github (workflow annotations), sarif (SARIF 2.1.0) or junit (JUnit XML).")
    var format: CheckFormat = .text

    func run() throws {
        var report: CheckReport?
        try runReportingErrors(json: format == .json) {
            let project = try currentProject()
            let context = try BranchContext(project: project, base: base)
            let schemaFile = SchemaFile(project: project)
            // One replay (and for PostgreSQL one shadow server) for both; made only when needed.
            let needsReplay = shadow || FileManager.default.fileExists(atPath: schemaFile.url.path)
            let replay = needsReplay ? try shadowReplay(for: project, noCache: noCache) : nil
            // PostgreSQL: --shadow also measures the branch's statements, as `mig lint --measure`.
            let measures = shadow && project.configuration.migrations.dialect == .postgres
            report = try BranchChecker(
                context: context, drift: shadow ? replay.map(DeployOrderDrift.init) : nil,
                schema: replay.map { SchemaFile.Check(file: schemaFile, replay: $0) },
                measure: measures ? replay : nil
            ).run()
        }
        guard let report else { return }
        try format.print(report) { printText(report) }
        if report.hasErrors { throw ExitCode(1) }
    }

    private func printText(_ report: CheckReport) {
        for note in report.shadow?.notes ?? [] { Console.note("note: " + note) }
        if let summary = report.shadow?.summary { Console.note(summary) }
        let compared = "head \(report.headCommit.short) against \(report.base) \(report.baseCommit.short) "
            + "(merge base \(report.mergeBase.short))"
        Console.printMeasurements(
            report.measurements, generatedRows: report.generatedRows, skipped: report.measurementSkipped)
        guard !report.findings.isEmpty else {
            Console.print("ok: no problems found comparing \(compared)")
            return
        }
        Console.print(Console.describe(report.findings.map(\.diagnostic)))
        let errors = report.findings.filter { $0.diagnostic.severity == .error }.count
        let warnings = report.findings.count - errors
        Console.print("\(errors) error(s), \(warnings) warning(s) comparing \(compared)")
    }
}

/// The formats `mig check` and `mig lint` write: CI systems read the last three.
enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, github, sarif, junit

    /// Prints `report` in this format; `text` prints it for people.
    func print(_ report: some DiagnosticReport, text: () -> Void) throws {
        switch self {
        case .text: text()
        case .json: Console.printLine(try CheckReportRenderer.jsonBytes(report))
        case .github:
            let annotations = CheckReportRenderer.github(report)
            if !annotations.isEmpty { Console.print(annotations) }
        case .sarif: Console.print(try CheckReportRenderer.sarif(report))
        case .junit: Console.print(CheckReportRenderer.junit(report))
        }
    }
}
