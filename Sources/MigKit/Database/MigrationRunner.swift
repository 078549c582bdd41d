/// Applies a plan to a real database: the writing half of `up`, `down` and `redo`
/// (`MigrationPlanner` is the reading half).
///
/// A run holds the database's migration lock from before it reads the history table until
/// its last step, so what it plans is what is still true when it writes; concurrent runs wait
/// and then find the work done. Before the first real step it rehearses the whole plan on a
/// shadow copy of the database (`DatabaseDriver.makeShadowCopy()`) and stops, having changed
/// nothing, if any step fails there. Each step commits its script and its history row together —
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
        case finished(MigrationPlan.Step, milliseconds: Int)
    }

    public let driver: any DatabaseDriver
    public let catalog: Catalog
    public let context: RunContext

    public init(driver: any DatabaseDriver, catalog: Catalog, context: RunContext) {
        self.driver = driver
        self.catalog = catalog
        self.context = context
    }

    /// Locks, reads the history, makes the plan with `makePlan`, rehearses and applies it.
    public func run(
        _ options: Options = Options(), progress: (Event) -> Void = { _ in },
        plan makePlan: (MigrationPlanner) throws -> MigrationPlan
    ) throws -> RunReport {
        if !options.dryRun { try driver.acquireMigrationLock() }
        defer { if !options.dryRun { try? driver.releaseMigrationLock() } }
        let plan = try makePlan(MigrationPlanner(catalog: catalog, applied: try driver.appliedMigrations()))
        guard !plan.isEmpty else {
            return RunReport(plan: plan, completed: [], rehearsed: false, dryRun: options.dryRun, unrehearsed: [])
        }
        var unrehearsed: [String] = []
        if options.rehearse {
            let rehearsal = try rehearse(plan, keepingIfPossible: !options.dryRun, progress: progress)
            unrehearsed = rehearsal.unrehearsed
            if let kept = rehearsal.kept {
                for done in kept { progress(.finished(done.step, milliseconds: done.milliseconds)) }
                return RunReport(plan: plan, completed: kept, rehearsed: true, dryRun: false, unrehearsed: [])
            }
        }
        guard !options.dryRun else {
            return RunReport(
                plan: plan, completed: [], rehearsed: options.rehearse, dryRun: true, unrehearsed: unrehearsed)
        }
        try driver.ensureHistoryTable()
        let executor = MigrationStepExecutor(
            driver: driver, context: context, directoryPrefix: context.directoryPrefix, inShadow: false)
        var completed: [RunReport.Completed] = []
        for step in plan.steps {
            progress(.started(step))
            let milliseconds = try executor.perform(step)
            progress(.finished(step, milliseconds: milliseconds))
            completed.append(RunReport.Completed(step: step, milliseconds: milliseconds))
        }
        return RunReport(
            plan: plan, completed: completed, rehearsed: options.rehearse, dryRun: false, unrehearsed: unrehearsed)
    }

    /// Runs `plan` on a shadow copy of the database (a dry run stops after this) and returns the
    /// scripts the copy could not run (PostgreSQL cannot rehearse a no-transaction script). With
    /// `keepingIfPossible`, a copy that is the real database inside a transaction (PostgreSQL) and
    /// ran every step is kept (`DatabaseDriver.keepShadowCopy()`): the plan is then applied, all of it
    /// in one transaction, without running it a second time, and `kept` holds the steps' times.
    private func rehearse(_ plan: MigrationPlan, keepingIfPossible: Bool, progress: (Event) -> Void) throws
        -> (unrehearsed: [String], kept: [RunReport.Completed]?)
    {
        progress(.rehearsing(plan))
        let copy = try driver.makeShadowCopy()
        try copy.ensureHistoryTable()
        let executor = MigrationStepExecutor(
            driver: copy, context: context, directoryPrefix: context.directoryPrefix, inShadow: true)
        let completed = try plan.steps.map { step in
            RunReport.Completed(step: step, milliseconds: try executor.perform(step))
        }
        let unrehearsed = copy.unrehearsedScripts.map(context.displayPath(of:))
        guard keepingIfPossible, unrehearsed.isEmpty, try copy.keepShadowCopy() else { return (unrehearsed, nil) }
        return ([], completed)
    }
}

/// What a run did: the plan, the steps that completed with their times, and whether it rehearsed.
public struct RunReport: Sendable {
    public struct Completed: Sendable {
        public let step: MigrationPlan.Step
        public let milliseconds: Int
    }

    public let plan: MigrationPlan
    public let completed: [Completed]
    public let rehearsed: Bool
    public let dryRun: Bool
    /// Scripts (relative to the project root) the rehearsal had to skip: no-transaction scripts on
    /// PostgreSQL, which cannot run inside the rehearsal's transaction.
    public let unrehearsed: [String]
}
