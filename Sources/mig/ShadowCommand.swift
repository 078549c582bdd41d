import ArgumentParser
import Foundation
import MigKit

struct Shadow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay every migration into a throw-away database and report what fails.",
        discussion: """
            Runs every up script in version order in a fresh in-memory database. With \
            [shadow] roundtrip (or --roundtrip) it then runs every down in reverse — each must \
            bring the schema back to what it was before its up — and every up again, which must \
            give the same schema as the first time. Exits 1 when the replay finds a problem.
            """
    )

    @Option(help: "Also write the shadow database (after the ups) to this file.")
    var keep: String?

    @Flag(inversion: .prefixedNo, help: "Run up, down, up again (default: [shadow] roundtrip).")
    var roundtrip: Bool?

    @Option(
        help: ArgumentHelp(
            "PostgreSQL projects: a server on which to create and drop throw-away databases (default: [shadow] url, "
                + "else a private cluster mig starts).", valueName: "url"))
    var shadowURL: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        var report: ShadowReport?
        var count = 0
        try runReportingErrors {
            let project = try currentProject()
            let catalog = try project.loadCatalog()
            count = catalog.migrations.count
            Console.printDiagnostics(catalog.diagnostics)
            let connector = DatabaseConnector(root: project.root, configuration: project.configuration.database)
            let replay = ShadowReplay(
                directoryPrefix: project.configuration.migrations.directory,
                makeDatabase: try connector.shadowFactory(
                    for: project.configuration.migrations.dialect,
                    shadowURL: shadowURL ?? project.configuration.shadow.url,
                    announce: announcePrivateCluster))
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
        }
        guard let report else { return }
        switch output.format {
        case .json:
            try Console.printJSON(report)
        case .text:
            Console.printDiagnostics(report.diagnostics)
            if let reason = report.roundtripSkipped { Console.warning("roundtrip skipped: \(reason)") }
            if report.diagnostics.isEmpty {
                Console.note(
                    "shadow replay passed: \(count) migration(s)"
                        + (report.roundtripCompleted ? ", every down reverts its up" : ""))
            }
        }
        if report.diagnostics.hasErrors { throw ExitCode(1) }
    }

    private func announcePrivateCluster() {
        guard Console.isTerminal else { return }
        Console.note("starting a private PostgreSQL cluster for the shadow (a couple of seconds)…")
    }
}
