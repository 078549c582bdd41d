import ArgumentParser
import Foundation
import MigKit

struct Shadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow",
        abstract: "Replay every migration into a throw-away database and report what fails.",
        discussion: """
            Runs every up script in version order in a fresh in-memory database. With --base REF it \
            also replays base's migrations followed by this branch's new ones (the order a deployed \
            database runs them in) and reports order-drift when that schema differs from version \
            order. With \
            [shadow] roundtrip (or --roundtrip) it then runs every down in reverse — each must \
            bring the schema back to what it was before its up — and every up again, which must \
            give the same schema as the first time. Snapshots of earlier replays under .migrate/cache \
            (keyed by the checksums of every migration up to them, git-ignored, safe to delete, \
            bounded by [shadow] cache_size megabytes) let a run replay only the migrations after the \
            longest unchanged prefix, and round-trip only those after the longest prefix whose \
            roundtrip passed before; --no-cache replays everything. Exits 1 when the replay finds a problem, and when \
            the migration directory holds a file mig cannot use (the chain it replayed has a hole).
            """
    )

    @Option(
        help: ArgumentHelp(
            "Also write the shadow database (after the ups) to this SQLite file. An existing file is replaced "
                + "only when it is a shadow mig kept before; never a directory.", valueName: "file"))
    var keep: String?

    @Flag(help: "With --keep: replace an existing file that is not a shadow mig kept.")
    var force = false

    @Flag(inversion: .prefixedNo, help: "Run up, down, up again (default: [shadow] roundtrip).")
    var roundtrip: Bool?

    @Option(help: "Also compare deploy order with version order against this base branch (order-drift).")
    var base: String?

    @Option(
        help: ArgumentHelp(
            "PostgreSQL projects: a server on which to create and drop throw-away databases (default: [shadow] url, "
                + "else a private cluster mig starts).", valueName: "url"))
    var shadowURL: String?

    @Flag(help: "Replay from nothing: neither use nor keep snapshots in .migrate/cache.")
    var noCache = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        var report: ShadowReport?
        var driftReport: DeployOrderDrift.Report?
        var count = 0
        var catalogDiagnostics: [Diagnostic] = []
        var dialectNote: String?
        try runReportingErrors(json: output.format == .json) {
            let project = try currentProject()
            let catalog = try substitutingPlaceholders(in: try project.loadCatalog(), of: project)
            count = catalog.migrations.count
            catalogDiagnostics = catalog.diagnostics
            Console.printDiagnostics(catalog.diagnostics)
            let replay = try shadowReplay(for: project, shadowURL: shadowURL, noCache: noCache)
            let keptFile = try keep.map { try KeptShadowFile(path: $0, force: force) }
            let text = output.format == .text
            report = try replay.run(
                catalog.migrations, repeatables: catalog.repeatables,
                roundtrip: roundtrip ?? project.configuration.shadow.roundtrip,
                progress: { step in
                    if text {
                        let arrow = step.direction == .up ? "up  " : "down"
                        Console.print("\(arrow) \(step.version.text)_\(step.name) (\(step.milliseconds) ms)")
                    }
                },
                afterFirstUp: keptFile.map { file in
                    { database in
                        guard let sqlite = database as? SQLiteDriver else {
                            throw ValidationError("--keep writes SQLite shadows only")
                        }
                        try file.write(sqlite)
                    }
                })
            if let base {
                let catalogs = try BranchCatalogs(BranchContext(project: project, base: base))
                driftReport = try DeployOrderDrift(replay: replay).check(
                    base: try substitutingPlaceholders(in: catalogs.base, of: project),
                    head: try substitutingPlaceholders(in: catalogs.head, of: project))
            }
            dialectNote = report.flatMap {
                DialectMismatch.note(
                    for: $0.diagnostics, catalog: catalog, dialect: project.configuration.migrations.dialect)
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
            for note in report.cacheNotes { Console.note("note: " + note) }
            if report.passedBefore {
                Console.note(
                    "the replay of these \(report.restoredFromCache) migration(s) passed before with the same scripts "
                        + "(a snapshot in .migrate/cache): nothing ran")
            } else if report.restoredFromCache > 0 {
                Console.note("restored the first \(report.restoredFromCache) migration(s) from a snapshot in .migrate/cache")
            }
            if report.roundtripFromCache > 0 {
                Console.note(
                    "the roundtrip of \(report.roundtripFromCache) older migration(s) passed before with the same scripts "
                        + "(.migrate/cache): only the newer ones were reverted")
            }
            if let reason = report.roundtripSkipped { Console.warning("roundtrip skipped: \(reason)") }
            if let reason = report.roundtripUntested { Console.warning("roundtrip partial: \(reason)") }
            if catalogDiagnostics.hasErrors {
                Console.error(
                    "shadow replay incomplete: the migration directory has files mig cannot use (above), "
                        + "so \(count) migration(s) are not the whole chain")
            } else if report.diagnostics.isEmpty {
                let reverted =
                    report.roundtripUntested == nil ? "every down reverts its up" : "those downs revert their ups"
                let repeatables = report.repeatables.isEmpty ? "" : " and \(report.repeatables.count) repeatable(s)"
                Console.note(
                    "shadow replay passed: \(count) migration(s)\(repeatables)"
                        + (report.roundtripCompleted ? ", \(reverted)" : ""))
            }
        }
        if diagnostics.hasErrors || catalogDiagnostics.hasErrors { throw ExitCode(1) }
    }
}

/// `mig shadow --base REF --format json`: the replay and the deploy-order comparison.
private struct ReplayAndDrift: Encodable {
    let replay: ShadowReport
    let drift: DeployOrderDrift.Report?
}
