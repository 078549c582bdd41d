import ArgumentParser
import Foundation
import MigKit

struct Shadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay every migration into a throw-away database and report what fails.",
        discussion: """
            Runs every up script in version order in a fresh in-memory database. With --base REF it \
            also replays base's migrations followed by this branch's new ones (the order a deployed \
            database runs them in) and reports order-drift when that schema differs from version \
            order. With \
            [shadow] roundtrip (or --roundtrip) it then runs every down in reverse — each must \
            bring the schema back to what it was before its up — and every up again, which must \
            give the same schema as the first time. Exits 1 when the replay finds a problem.
            """
    )

    @Option(help: "Also write the shadow database (after the ups) to this file.")
    var keep: String?

    @Flag(inversion: .prefixedNo, help: "Run up, down, up again (default: [shadow] roundtrip).")
    var roundtrip: Bool?

    @Option(help: "Also compare deploy order with version order against this base branch (order-drift).")
    var base: String?

    @Option(
        help: ArgumentHelp(
            "PostgreSQL projects: a server on which to create and drop throw-away databases (default: [shadow] url, "
                + "else a private cluster mig starts).", valueName: "url"))
    var shadowURL: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        var report: ShadowReport?
        var driftReport: DeployOrderDrift.Report?
        var count = 0
        var dialectNote: String?
        try runReportingErrors {
            let project = try currentProject()
            let catalog = try project.loadCatalog()
            count = catalog.migrations.count
            Console.printDiagnostics(catalog.diagnostics)
            let replay = try shadowReplay(for: project, shadowURL: shadowURL)
            let keepPath = keep.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            let text = output.format == .text
            report = try replay.run(
                catalog.migrations, roundtrip: roundtrip ?? project.configuration.shadow.roundtrip,
                progress: { step in
                    if text {
                        let arrow = step.direction == .up ? "up  " : "down"
                        Console.print("\(arrow) \(step.version.text)_\(step.name) (\(step.milliseconds) ms)")
                    }
                },
                afterFirstUp: keepPath.map { path in
                    { database in
                        guard let sqlite = database as? SQLiteDriver else {
                            throw ValidationError("--keep writes SQLite shadows only")
                        }
                        try sqlite.save(to: path)
                    }
                })
            if let base {
                let catalogs = try BranchCatalogs(BranchContext(project: project, base: base))
                driftReport = try DeployOrderDrift(replay: replay).check(base: catalogs.base, head: catalogs.head)
            }
            dialectNote = report.flatMap {
                DialectMismatch.note(for: $0.diagnostics, catalog: catalog, dialect: project.configuration.migrations.dialect)
            }
        }
        guard let report else { return }
        let diagnostics = report.diagnostics + (driftReport?.diagnostics ?? [])
        switch output.format {
        case .json where driftReport != nil:
            try Console.printJSON(ReplayAndDrift(replay: report, drift: driftReport))
        case .json:
            try Console.printJSON(report)
        case .text:
            Console.printDiagnostics(diagnostics)
            if let dialectNote { Console.note("note: " + dialectNote) }
            if let driftReport, driftReport.diagnostics.isEmpty {
                Console.note(
                    driftReport.deployOrder == driftReport.versionOrder
                        ? "deploy order against \(base ?? "base") is version order: no drift possible"
                        : "deploy order against \(base ?? "base") gives the same schema as version order")
            }
            if let reason = report.roundtripSkipped { Console.warning("roundtrip skipped: \(reason)") }
            if report.diagnostics.isEmpty {
                Console.note(
                    "shadow replay passed: \(count) migration(s)"
                        + (report.roundtripCompleted ? ", every down reverts its up" : ""))
            }
        }
        if diagnostics.hasErrors { throw ExitCode(1) }
    }
}

/// `mig shadow --base REF --format json`: the replay and the deploy-order comparison.
private struct ReplayAndDrift: Encodable {
    let replay: ShadowReport
    let drift: DeployOrderDrift.Report?
}
