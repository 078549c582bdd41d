import ArgumentParser
import Foundation
import MigKit

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Review migrations for what locks, rewrites or breaks a live PostgreSQL database.",
        discussion: """
            Reads each up script with PostgreSQL's own parser (libpg_query, the PostgreSQL 15 \
            grammar) and reports, per statement, what blocks traffic (CREATE INDEX without \
            CONCURRENTLY, constraints without NOT VALID, rewrites), what breaks the running \
            application (renames, drops), data changes and type hygiene, each with the safe way. \
            By default lints the migrations this branch adds or changes against the base (every \
            migration outside a Git repository). Tables created earlier on the branch are new: \
            lock rules skip them. Suppress with `-- mig:lint-ignore RULE[,RULE] reason` above a \
            statement; set levels in [lint]. Exit status: 0 clean or warnings only, 1 errors, 2 \
            when the lint cannot run.
            """
    )

    @Argument(help: "Migration files (or any SQL files) to lint instead of the branch's.")
    var paths: [String] = []

    @Option(help: "The branch or commit to compare with (default: [git] base, origin/HEAD, main, master).")
    var base: String?

    @Flag(help: "Lint every migration, not only the branch's.")
    var all = false

    @Flag(
        help:
            "Also replay the branch's migrations in a PostgreSQL shadow and report the table locks each statement held and the tables it rewrote."
    )
    var measure = false

    @Flag(help: "List the rules with their level, why and safe way, and exit.")
    var rules = false

    @Option(help: "Output format: text, json, github (workflow annotations), sarif (SARIF 2.1.0) or junit (JUnit XML).")
    var format: CheckFormat = .text

    func validate() throws {
        if all, !paths.isEmpty { throw ValidationError("--all lints every migration: give either --all or paths") }
        if measure, all || !paths.isEmpty {
            throw ValidationError("--measure replays the branch's migrations: it goes without --all and paths")
        }
        if base != nil, all || !paths.isEmpty {
            throw ValidationError("--base chooses the branch's files: it goes without --all and paths")
        }
    }

    func run() throws {
        if rules {
            Console.print(Console.table(LintRule.allCases.map { [$0.rawValue, $0.defaultSeverity.rawValue, $0.why] }))
            return
        }
        var report: LintReport?
        try runReportingErrors {
            let project = try currentProject()
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            let scope: LintScope =
                all
                ? .all
                : paths.isEmpty ? .branch(base: base) : .paths(paths.map { URL(fileURLWithPath: $0, relativeTo: cwd) })
            report = try LintRun.run(
                project: project, scope: scope, measureIn: measure ? try shadowReplay(for: project) : nil)
        }
        guard let report else { return }
        try format.print(report) { printText(report) }
        if report.hasErrors { throw ExitCode(1) }
    }

    private func printText(_ report: LintReport) {
        let against = report.base.map { " against \($0)" } ?? ""
        let what = "\(report.files.count) migration(s)\(against)"
        Console.printMeasurements(
            report.measurements, generatedRows: report.generatedRows, skipped: report.measurementSkipped)
        guard !report.findings.isEmpty else {
            Console.print("ok: no problems found in \(what)")
            return
        }
        Console.print(Console.describe(report.findings.map(\.diagnostic)))
        let errors = report.findings.filter { $0.diagnostic.severity == .error }.count
        Console.print("\(errors) error(s), \(report.findings.count - errors) warning(s) in \(what)")
    }
}
