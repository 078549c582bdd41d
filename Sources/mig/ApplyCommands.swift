import ArgumentParser
import Foundation
import MigKit

/// Flags that `up`, `down` and `redo` share.
struct ApplyOptions: ParsableArguments {
    @Flag(help: "Print the plan and its SQL; change nothing.")
    var dryRun = false

    @Flag(help: "Skip the rehearsal of the plan on a shadow copy of the database.")
    var noShadow = false

    @Flag(
        help: ArgumentHelp(
            "PostgreSQL: apply the whole plan in one transaction, all or nothing (every lock is held until it commits).",
            discussion: "Refused for a plan with a migration that runs outside a transaction or manages its own."))
    var singleTransaction = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
}

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Apply the pending migrations in version order.",
        discussion: """
            Takes the database's migration lock, rehearses the plan on a shadow copy of the database \
            (PostgreSQL: a shadow database with the database's schema, without its rows), stopping with \
            nothing changed if a migration fails there, and applies each migration together with its \
            history row in one transaction (outside one for `-- mig:no-transaction`). On PostgreSQL a \
            migration whose lock is not granted within [database] lock_timeout is rolled back and tried \
            again, up to [database] lock_retries times. Refuses migrations changed since they were \
            applied and pending migrations older than applied ones unless told otherwise. After \
            applying to the development database (the [database] url written in config.toml, not \
            --database or an environment variable), rewrites the schema file (`mig schema`) when the \
            project keeps one.
            """
    )

    @Option(help: "Apply up to and including this version.")
    var to: Version?

    @Flag(help: "Apply pending migrations older than the newest applied one too.")
    var allowOutOfOrder = false

    @Flag(help: "Apply even though applied migrations changed since they were applied.")
    var allowChanged = false

    @OptionGroup var options: ApplyOptions

    func run() throws {
        try ApplyCommand(options: options, refreshesSchemaFile: true).run { planner in
            try planner.upPlan(to: to, allowOutOfOrder: allowOutOfOrder, allowChanged: allowChanged)
        }
    }
}

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Revert applied migrations with their down scripts, the last applied first.",
        discussion: """
            Reverts one migration unless --steps or --to says otherwise; --to 0 reverts everything, \
            version 0 included. Migrations are reverted in the reverse of the order the database \
            applied them (the history table's applied_order), which after an out-of-order apply is not \
            version order. `mig log` shows what was reverted, and when.
            """
    )

    @Option(help: "How many migrations to revert.")
    var steps: Int?

    @Option(help: "Revert every migration newer than this version (it stays applied; 0: revert all).")
    var to: Version?

    @OptionGroup var options: ApplyOptions

    func validate() throws {
        if steps != nil, to != nil { throw ValidationError("give --steps or --to, not both") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        try ApplyCommand(options: options).run { planner in try planner.downPlan(steps: steps ?? 1, to: to) }
    }
}

struct Redo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redo",
        abstract: "Revert the last applied migration and apply it again (for iterating on it).")

    @OptionGroup var options: ApplyOptions

    func run() throws {
        try ApplyCommand(options: options).run { planner in try planner.redoPlan() }
    }
}

extension Version: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// Runs a plan for `up`, `down` or `redo` and prints what happened.
private struct ApplyCommand {
    let options: ApplyOptions
    /// `up`: refresh the schema file after applying to the development database (`SchemaFileRefresh`).
    var refreshesSchemaFile = false

    func run(plan: @escaping (MigrationPlanner) throws -> MigrationPlan) throws {
        try runReportingErrors(json: options.output.format == .json) {
            let (url, runner) = try options.database.runner(
                readOnly: options.dryRun, rehearsing: !options.noShadow, loadCatalog: catalogForRunning)
            let text = options.output.format == .text
            let report: RunReport
            let runOptions = MigrationRunner.Options(
                rehearse: !options.noShadow, dryRun: options.dryRun, singleTransaction: options.singleTransaction,
                lockRetries: try currentProject().configuration.database.lockRetries)
            do {
                report = try runner.run(runOptions) { event in
                    switch event {
                    case .rehearsalNote, .retrying: Self.show(event, dialect: runner.driver.dialect)
                    default: if text { Self.show(event, dialect: runner.driver.dialect) }
                    }
                    Self.showNotices(of: runner.driver)
                } plan: {
                    try plan($0)
                }
            } catch let error as MigrationFailure {
                Self.showNotices(of: runner.driver)
                reportFailure(error, json: !text)
                throw ExitCode(1)
            } catch let error as PlanError {
                reportFailure(error, json: !text)
                throw ExitCode(1)
            } catch let error as SingleTransactionRefusal {
                reportFailure(error, json: !text)
                throw ExitCode(1)
            }
            switch options.output.format {
            case .json: try Console.printJSON(ApplyReport(report, database: DatabaseLocation.redacted(url)))
            case .text: Self.summarise(report)
            }
            if refreshesSchemaFile, !report.dryRun, !report.completed.isEmpty || !report.completedRepeatables.isEmpty {
                let project = try currentProject()
                let environment = ProcessInfo.processInfo.environment
                let flag = options.database.url
                if SchemaFileRefresh.isDevelopmentDatabase(project, flag: flag, environment: environment) {
                    refreshSchemaFile(of: project)
                }
            }
        }
    }

    private static func show(_ event: MigrationRunner.Event, dialect: Dialect) {
        switch event {
        case .rehearsing(let plan) where dialect == .postgres:
            Console.note(
                "rehearsing \(plan.steps.count) step(s) on a copy of the database's schema in the shadow server…")
        case .rehearsing(let plan):
            Console.note("rehearsing \(plan.steps.count) step(s) on a shadow copy of the database…")
        case .rehearsalNote(let note):
            Console.note(note)
        case .retrying(let step, let retry, let count, let pause, let reason):
            Console.warning(
                "\(step.migration.identifier) was rolled back: \(reason); retry \(retry) of \(count) in \(pause)")
        case .started(let step) where Console.isTerminal:
            Console.note("\(verb(step, done: false)) \(step.migration.identifier)…")
        case .outsideTransaction(let step, let reason):
            Console.note("\(step.migration.identifier) runs without mig's transaction: \(reason)")
        case .finished(let step, let milliseconds):
            Console.print("\(verb(step, done: true)) \(step.migration.identifier) (\(milliseconds) ms)")
        case .finishedRepeatable(let repeatable, let milliseconds):
            Console.print("ran repeatable \(repeatable.identifier) (\(milliseconds) ms)")
        default:
            break
        }
    }

    /// What the database said besides results (PostgreSQL's `RAISE NOTICE`, `… skipping`), on stderr.
    private static func showNotices(of driver: any DatabaseDriver) {
        for notice in driver.takeNotices() { Console.note(notice) }
    }

    private static func verb(_ step: MigrationPlan.Step, done: Bool) -> String {
        switch step {
        case .apply: done ? "applied" : "applying"
        case .revert: done ? "reverted" : "reverting"
        }
    }

    private static func summarise(_ report: RunReport) {
        for missing in report.plan.missingFiles {
            Console.warning(
                "\(missing.version.text)_\(missing.name) is applied but its files are gone from the migration "
                    + "directory: restore them from Git (`mig status` lists it as missing-file)")
        }
        if report.plan.isEmpty {
            Console.note(
                report.plan.missingFiles.isEmpty
                    ? "nothing to do: the database is up to date"
                    : "nothing to apply, but the database has \(report.plan.missingFiles.count) applied migration(s) "
                        + "without files (above)")
        } else if report.dryRun {
            for step in report.plan.steps {
                Console.print(
                    Console.paint("would \(step.isApply ? "apply" : "revert") \(step.migration.identifier)", .bold))
                if let script = step.script { Console.print(script.sql) }
            }
            for repeatable in report.plan.repeatables {
                Console.print(Console.paint("would run repeatable \(repeatable.identifier)", .bold))
                Console.print(repeatable.script.sql)
            }
            if report.rehearsed {
                Console.note(
                    "dry run: rehearsed \(report.plan.steps.count - report.unrehearsed.count) of "
                        + "\(report.plan.steps.count) step(s) on a shadow copy; the database was not changed")
            } else {
                Console.note("dry run: nothing was run; the database was not changed")
            }
        }
        for skipped in report.unrehearsed { Console.warning("not rehearsed: \(skipped.reason)") }
    }
}

/// `up`/`down`/`redo --format json`: stable field names.
private struct ApplyReport: Encodable {
    struct Step: Encodable {
        let version: String
        let name: String
        let direction: String
        let milliseconds: Int?
        let sql: String?
    }

    let database: String
    let dryRun: Bool
    let rehearsed: Bool
    /// Migrations the rehearsal did not run, each with why.
    let unrehearsed: [Unrehearsed]

    struct Unrehearsed: Encodable {
        let migration: String
        let reason: String
    }
    let steps: [Step]
    /// Repeatable migrations run (or, in a dry run, to run) after the steps.
    let repeatables: [Repeatable]

    struct Repeatable: Encodable {
        let name: String
        let milliseconds: Int?
        let sql: String?
    }

    init(_ report: RunReport, database: String) {
        self.database = database
        dryRun = report.dryRun
        rehearsed = report.rehearsed
        unrehearsed = report.unrehearsed.map { Unrehearsed(migration: $0.migration, reason: $0.reason) }
        if report.dryRun {
            steps = report.plan.steps.map {
                Step(
                    version: $0.migration.version.text, name: $0.migration.name, direction: $0.isApply ? "up" : "down",
                    milliseconds: nil, sql: $0.script?.sql)
            }
        } else {
            steps = report.completed.map {
                Step(
                    version: $0.step.migration.version.text, name: $0.step.migration.name,
                    direction: $0.step.isApply ? "up" : "down", milliseconds: $0.milliseconds, sql: nil)
            }
        }
        repeatables =
            report.dryRun
            ? report.plan.repeatables.map { Repeatable(name: $0.identifier, milliseconds: nil, sql: $0.script.sql) }
            : report.completedRepeatables.map {
                Repeatable(name: $0.repeatable.identifier, milliseconds: $0.milliseconds, sql: nil)
            }
    }
}
