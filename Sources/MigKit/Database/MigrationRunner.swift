/// Applies a plan to a real database: the writing half of `up`, `down` and `redo`
/// (`MigrationPlanner` is the reading half). An `up` plan's repeatable migrations run after its
/// steps, each recorded in the repeatables table (`AppliedRepeatable`).
///
/// A run holds the database's migration lock from before it reads the history table until
/// its last step, so what it plans is what is still true when it writes; concurrent runs wait
/// and then find the work done. Before the first real step it rehearses the whole plan on a
/// shadow copy of the database (`DatabaseDriver.makeShadowCopy()`) and stops, having changed
/// nothing, if any step fails there; a step that cannot be rehearsed (it manages its own
/// transactions, or must run outside one where the copy cannot) ends the rehearsal, and the report
/// says so. Each step commits its script and its history row together —
/// except on PostgreSQL, where the rehearsal is the real database inside a transaction: when every
/// step ran there, that transaction commits and the plan is applied in one pass, all or nothing.
public struct MigrationRunner {
    /// What a run should do besides applying.
    public struct Options: Sendable {
        /// Rehearse on a shadow copy first.
        public var rehearse = true
        /// Plan only: no lock taken, nothing run.
        public var dryRun = false

        public init(rehearse: Bool = true, dryRun: Bool = false) {
            self.rehearse = rehearse
            self.dryRun = dryRun
        }
    }

    /// Progress, reported as it happens.
    public enum Event {
        case rehearsing(MigrationPlan)
        case started(MigrationPlan.Step)
        /// The step is about to run without mig's transaction, for the reason given.
        case outsideTransaction(MigrationPlan.Step, reason: String)
        case finished(MigrationPlan.Step, milliseconds: Int)
        /// A repeatable migration ran (and was recorded).
        case finishedRepeatable(RepeatableMigration, milliseconds: Int)
    }

    public let driver: any DatabaseDriver
    public let catalog: Catalog
    public let context: RunContext

    public init(driver: any DatabaseDriver, catalog: Catalog, context: RunContext) {
        self.driver = driver
        self.catalog = catalog
        self.context = context
    }

    /// Locks, reads the history, makes the plan with `makePlan`, reads every script of the plan (a
    /// script the dialect's reader rejects fails here, before anything runs), rehearses and applies it.
    public func run(
        _ options: Options = Options(), progress: (Event) -> Void = { _ in },
        plan makePlan: (MigrationPlanner) throws -> MigrationPlan
    ) throws -> RunReport {
        if !options.dryRun { try driver.acquireMigrationLock() }
        defer { if !options.dryRun { try? driver.releaseMigrationLock() } }
        let plan = try makePlan(
            MigrationPlanner(
                catalog: catalog, applied: try driver.appliedMigrations(),
                appliedRepeatables: try driver.appliedRepeatables(), dialect: driver.dialect))
        guard !plan.isEmpty else {
            return RunReport(plan: plan, completed: [], rehearsed: false, dryRun: options.dryRun, unrehearsed: [])
        }
        let readings = ScriptReadings(dialect: driver.dialect)
        let executor = self.executor(on: driver, inShadow: false, readings: readings)
        for step in plan.steps { _ = try executor.prepare(step) }
        for repeatable in plan.repeatables { _ = try executor.reasonNotToRehearse(repeatable) }
        var unrehearsed: [RunReport.Unrehearsed] = []
        if options.rehearse {
            let rehearsal = try rehearse(
                plan, readings: readings, keepingIfPossible: !options.dryRun, progress: progress)
            unrehearsed = rehearsal.unrehearsed
            if let kept = rehearsal.kept {
                for done in kept.steps { progress(.finished(done.step, milliseconds: done.milliseconds)) }
                for done in kept.repeatables {
                    progress(.finishedRepeatable(done.repeatable, milliseconds: done.milliseconds))
                }
                return RunReport(
                    plan: plan, completed: kept.steps, rehearsed: true, dryRun: false, unrehearsed: [],
                    completedRepeatables: kept.repeatables)
            }
        }
        guard !options.dryRun else {
            if !options.rehearse { unrehearsed = try selfManagedSteps(of: plan, executor: executor) }
            return RunReport(
                plan: plan, completed: [], rehearsed: options.rehearse, dryRun: true, unrehearsed: unrehearsed)
        }
        try driver.ensureHistoryTable()
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "beforeMigrate"), event: "beforeMigrate")
        }
        var completed: [RunReport.Completed] = []
        for step in plan.steps {
            progress(.started(step))
            if let reason = try executor.prepare(step).2.reason { progress(.outsideTransaction(step, reason: reason)) }
            let milliseconds = try executor.perform(step)
            progress(.finished(step, milliseconds: milliseconds))
            completed.append(RunReport.Completed(step: step, milliseconds: milliseconds))
        }
        var completedRepeatables: [RunReport.CompletedRepeatable] = []
        for repeatable in plan.repeatables {
            let milliseconds = try executor.perform(repeatable)
            progress(.finishedRepeatable(repeatable, milliseconds: milliseconds))
            completedRepeatables.append(.init(repeatable: repeatable, milliseconds: milliseconds))
        }
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "afterMigrate"), event: "afterMigrate")
        }
        return RunReport(
            plan: plan, completed: completed, rehearsed: options.rehearse, dryRun: false, unrehearsed: unrehearsed,
            completedRepeatables: completedRepeatables)
    }

    /// Runs `plan` on a shadow copy of the database (a dry run stops after this). The rehearsal stops
    /// at the first step the copy cannot run (`MigrationStepExecutor.reasonNotToRehearse`): that step
    /// and every later one, which may build on it, are returned as unrehearsed. With
    /// `keepingIfPossible`, a copy that is the real database inside a transaction (PostgreSQL) and
    /// ran every step is kept (`DatabaseDriver.keepShadowCopy()`): the plan is then applied, all of it
    /// in one transaction, without running it a second time, and `kept` holds the steps' times.
    /// The plan's repeatable migrations are rehearsed after its steps, as they run for real.
    private func rehearse(
        _ plan: MigrationPlan, readings: ScriptReadings, keepingIfPossible: Bool, progress: (Event) -> Void
    ) throws -> (
        unrehearsed: [RunReport.Unrehearsed],
        kept: (steps: [RunReport.Completed], repeatables: [RunReport.CompletedRepeatable])?
    ) {
        progress(.rehearsing(plan))
        let copy = try driver.makeShadowCopy()
        try copy.ensureHistoryTable()
        let executor = self.executor(on: copy, inShadow: true, readings: readings)
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "beforeMigrate"), event: "beforeMigrate")
        }
        var completed: [RunReport.Completed] = []
        for (index, step) in plan.steps.enumerated() {
            if let reason = try executor.reasonNotToRehearse(step) {
                let first = RunReport.Unrehearsed(migration: step.migration.identifier, reason: reason)
                let later = plan.steps[(index + 1)...].map {
                    RunReport.Unrehearsed(
                        migration: $0.migration.identifier,
                        reason:
                            "\($0.migration.identifier) comes after \(step.migration.identifier), which was not rehearsed"
                    )
                }
                let repeatables = plan.repeatables.map {
                    RunReport.Unrehearsed(
                        migration: $0.identifier,
                        reason: "\($0.identifier) runs after \(step.migration.identifier), which was not rehearsed")
                }
                return ([first] + later + repeatables, nil)
            }
            completed.append(RunReport.Completed(step: step, milliseconds: try executor.perform(step)))
        }
        var completedRepeatables: [RunReport.CompletedRepeatable] = []
        for (index, repeatable) in plan.repeatables.enumerated() {
            if let reason = try executor.reasonNotToRehearse(repeatable) {
                let later = plan.repeatables[(index + 1)...].map {
                    RunReport.Unrehearsed(
                        migration: $0.identifier,
                        reason: "\($0.identifier) runs after \(repeatable.identifier), which was not rehearsed")
                }
                return ([RunReport.Unrehearsed(migration: repeatable.identifier, reason: reason)] + later, nil)
            }
            completedRepeatables.append(.init(repeatable: repeatable, milliseconds: try executor.perform(repeatable)))
        }
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "afterMigrate"), event: "afterMigrate")
        }
        guard keepingIfPossible, try copy.keepShadowCopy() else { return ([], nil) }
        return ([], (completed, completedRepeatables))
    }

    /// The executor of this run's steps on `database`, with the catalog's Flyway each-migrate callbacks.
    private func executor(on database: any DatabaseDriver, inShadow: Bool, readings: ScriptReadings)
        -> MigrationStepExecutor
    {
        MigrationStepExecutor(
            driver: database, context: context, directoryPrefix: context.directoryPrefix, inShadow: inShadow,
            readings: readings,
            eachMigrate: (
                catalog.callbackScripts(for: "beforeEachMigrate"), catalog.callbackScripts(for: "afterEachMigrate")
            ))
    }

    /// For a dry run without rehearsal: the steps whose scripts manage their own transactions (which a
    /// real run would run as written).
    private func selfManagedSteps(of plan: MigrationPlan, executor: MigrationStepExecutor) throws
        -> [RunReport.Unrehearsed]
    {
        try plan.steps.compactMap { step in
            guard case .selfManaged = try executor.prepare(step).2 else { return nil }
            return RunReport.Unrehearsed(
                migration: step.migration.identifier,
                reason: "\(step.migration.identifier) manages its own transactions: a real run runs it as written")
        }
    }
}

/// What a run did: the plan, the steps that completed with their times, and whether it rehearsed.
public struct RunReport: Sendable {
    public struct Completed: Sendable {
        public let step: MigrationPlan.Step
        public let milliseconds: Int
    }

    /// A repeatable migration that ran, with its time.
    public struct CompletedRepeatable: Sendable {
        public let repeatable: RepeatableMigration
        public let milliseconds: Int
    }

    public let plan: MigrationPlan
    public let completed: [Completed]
    public let rehearsed: Bool
    public let dryRun: Bool
    /// Steps the rehearsal did not run, each with why: a script with its own transaction control
    /// (never run where it could commit), a no-transaction script on PostgreSQL (the rehearsal is a
    /// transaction), and every step after the first of those.
    public let unrehearsed: [Unrehearsed]
    /// The plan's repeatable migrations that ran, in order (after every step).
    public internal(set) var completedRepeatables: [CompletedRepeatable] = []

    /// A step that was not rehearsed, and why.
    public struct Unrehearsed: Sendable, Hashable {
        public let migration: String
        public let reason: String
    }
}
