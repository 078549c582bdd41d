import Foundation

/// Applies a plan to a real database: the writing half of `up`, `down` and `redo`
/// (`MigrationPlanner` is the reading half). An `up` plan's repeatable migrations run after its
/// steps, each recorded in the repeatables table (`AppliedRepeatable`).
///
/// A run holds the database's migration lock from before it reads the history table until
/// its last step, so what it plans is what is still true when it writes; concurrent runs wait
/// and then find the work done. Before the first real step it rehearses the whole plan on a
/// throw-away copy of the database (`DatabaseDriver.makeShadowCopy()`, or the `rehearsalSource`'s:
/// PostgreSQL's is a shadow database with the target's schema) and stops, having changed nothing,
/// if any step fails there; a script that manages its own transactions is never run there (it could
/// commit), which ends the rehearsal, and the report says so. Then each step commits its script and
/// its history row together; a step whose lock was not granted in time (PostgreSQL's `lock_timeout`)
/// is rolled back and tried again, a bounded number of times. With `singleTransaction`
/// (PostgreSQL), the whole plan commits at once instead, or not at all.
public struct MigrationRunner {
    /// What a run should do besides applying.
    public struct Options: Sendable {
        /// Rehearse on a shadow copy first.
        public var rehearse = true
        /// Plan only: no lock taken, nothing run.
        public var dryRun = false
        /// Apply the whole plan in one transaction (PostgreSQL), holding every lock until it commits.
        public var singleTransaction = false
        /// How many times a step whose lock was not granted (SQLSTATE 55P03) is tried again.
        public var lockRetries = 0
        /// The pause before the first retry; each later one doubles it.
        public var retryPause: Duration = .seconds(1)

        public init(
            rehearse: Bool = true, dryRun: Bool = false, singleTransaction: Bool = false, lockRetries: Int = 0,
            retryPause: Duration = .seconds(1)
        ) {
            self.rehearse = rehearse
            self.dryRun = dryRun
            self.singleTransaction = singleTransaction
            self.lockRetries = lockRetries
            self.retryPause = retryPause
        }
    }

    /// Progress, reported as it happens.
    public enum Event {
        case rehearsing(MigrationPlan)
        /// Something worth knowing about how the rehearsal copy was made.
        case rehearsalNote(String)
        case started(MigrationPlan.Step)
        /// The step is about to run without mig's transaction, for the reason given.
        case outsideTransaction(MigrationPlan.Step, reason: String)
        /// The step's lock was not granted in time; it was rolled back and runs again after a pause.
        case retrying(MigrationPlan.Step, retry: Int, of: Int, pause: Duration, reason: String)
        case finished(MigrationPlan.Step, milliseconds: Int)
        /// A repeatable migration ran (and was recorded).
        case finishedRepeatable(RepeatableMigration, milliseconds: Int)
    }

    public let driver: any DatabaseDriver
    public let catalog: Catalog
    public let context: RunContext
    /// Where the rehearsal copy comes from when the database cannot copy itself (PostgreSQL).
    public let rehearsalSource: (any RehearsalSource)?

    public init(
        driver: any DatabaseDriver, catalog: Catalog, context: RunContext,
        rehearsalSource: (any RehearsalSource)? = nil
    ) {
        self.driver = driver
        self.catalog = catalog
        self.context = context
        self.rehearsalSource = rehearsalSource
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
        let whole = options.singleTransaction ? try SingleTransactionPlan(plan, on: driver, executor: executor) : nil
        var unrehearsed: [RunReport.Unrehearsed] = []
        if options.rehearse {
            defer { rehearsalSource?.endRehearsals() }
            unrehearsed = try rehearse(plan, readings: readings, progress: progress)
        }
        guard !options.dryRun else {
            if !options.rehearse { unrehearsed = try selfManagedSteps(of: plan, executor: executor) }
            return RunReport(
                plan: plan, completed: [], rehearsed: options.rehearse, dryRun: true, unrehearsed: unrehearsed)
        }
        try driver.ensureHistoryTable()
        if let whole {
            let (completed, repeatables) = try whole.apply { transaction in
                try perform(plan, with: self.executor(on: transaction, inShadow: false, readings: readings), progress)
            }
            return RunReport(
                plan: plan, completed: completed, rehearsed: options.rehearse, dryRun: false,
                unrehearsed: unrehearsed, completedRepeatables: repeatables)
        }
        let (completed, repeatables) = try perform(
            plan, with: executor, progress, retrying: (options.lockRetries, options.retryPause))
        return RunReport(
            plan: plan, completed: completed, rehearsed: options.rehearse, dryRun: false, unrehearsed: unrehearsed,
            completedRepeatables: repeatables)
    }

    /// Runs `plan`'s steps, repeatables and callbacks with `executor`; a step whose lock was not
    /// granted in its own transaction is tried again up to `retrying.count` times, pausing
    /// `retrying.pause`, then twice as long each time.
    private func perform(
        _ plan: MigrationPlan, with executor: MigrationStepExecutor, _ progress: (Event) -> Void,
        retrying: (count: Int, pause: Duration) = (0, .zero)
    ) throws -> ([RunReport.Completed], [RunReport.CompletedRepeatable]) {
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "beforeMigrate"), event: "beforeMigrate")
        }
        var completed: [RunReport.Completed] = []
        for step in plan.steps {
            progress(.started(step))
            if let reason = try executor.prepare(step).2.reason { progress(.outsideTransaction(step, reason: reason)) }
            let milliseconds = try perform(
                step, with: executor, progress, retrying: retrying, earlier: completed.count)
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
        return (completed, completedRepeatables)
    }

    /// Runs `step`, trying it again while its lock is not granted within `lock_timeout` and its
    /// transaction was rolled back (never a step that ran statements outside one), at most
    /// `retrying.count` times; returns its time.
    private func perform(
        _ step: MigrationPlan.Step, with executor: MigrationStepExecutor, _ progress: (Event) -> Void,
        retrying: (count: Int, pause: Duration), earlier: Int
    ) throws(MigrationFailure) -> Int {
        var retries = 0
        var pause = retrying.pause
        while true {
            let failure: MigrationFailure
            do {
                return try executor.perform(step)
            } catch {
                failure = error
            }
            guard failure.isLockNotGranted, failure.consequence == .rolledBack, retrying.count > 0 else {
                throw failure
            }
            guard retries < retrying.count else {
                throw failure.with(.lockNotGranted(attempts: retries + 1, earlier: earlier))
            }
            retries += 1
            progress(.retrying(step, retry: retries, of: retrying.count, pause: pause, reason: failure.message))
            let (seconds, attoseconds) = pause.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            pause = pause * 2
        }
    }

    /// Runs `plan` on a throw-away copy of the database (a dry run stops after this). The rehearsal
    /// stops at the first step it must not run (`MigrationStepExecutor.reasonNotToRehearse`): that
    /// step and every later one, which may build on it, are returned as unrehearsed. The plan's
    /// repeatable migrations are rehearsed after its steps, as they run for real.
    private func rehearse(_ plan: MigrationPlan, readings: ScriptReadings, progress: (Event) -> Void) throws
        -> [RunReport.Unrehearsed]
    {
        progress(.rehearsing(plan))
        let copy: any DatabaseDriver
        let dirty = try driver.appliedMigrations().filter { $0.state == .dirty }
        if let rehearsalSource {
            let made = try rehearsalSource.copy(
                of: driver, catalog: catalog, directoryPrefix: context.directoryPrefix)
            for note in made.notes { progress(.rehearsalNote(note)) }
            copy = made.database
            try copy.ensureHistoryTable()
            // The copy holds the schema, not the history's rows: a dirty migration's row says where
            // its rehearsal resumes, as the real run will.
            for row in dirty { try copy.recordApplied(row) }
        } else {
            copy = try driver.makeShadowCopy()
            try copy.ensureHistoryTable()
        }
        // The copy is thrown away, so its steps write no history, except those of a dirty migration,
        // which resume after the statements its row lists, as the real run will.
        let executor = self.executor(on: copy, inShadow: true, readings: readings, recording: false)
        let resuming = self.executor(on: copy, inShadow: true, readings: readings)
        var transactions = try RehearsalTransactions(copy: copy, executor: executor, plan: plan)
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "beforeMigrate"), event: "beforeMigrate")
        }
        for (index, step) in plan.steps.enumerated() {
            let resumes = dirty.contains { $0.version == step.migration.version }
            let executor = resumes ? resuming : executor
            if let reason = try executor.reasonNotToRehearse(step) {
                try transactions.commit()
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
                return [first] + later + repeatables
            }
            if resumes {
                try transactions.commit()
                _ = try executor.perform(step)
            } else {
                try transactions.perform(step)
            }
        }
        try transactions.commit()
        for (index, repeatable) in plan.repeatables.enumerated() {
            if let reason = try executor.reasonNotToRehearse(repeatable) {
                let later = plan.repeatables[(index + 1)...].map {
                    RunReport.Unrehearsed(
                        migration: $0.identifier,
                        reason: "\($0.identifier) runs after \(repeatable.identifier), which was not rehearsed")
                }
                return [RunReport.Unrehearsed(migration: repeatable.identifier, reason: reason)] + later
            }
            _ = try executor.perform(repeatable)
        }
        if plan.applies {
            try executor.performCallbacks(catalog.callbackScripts(for: "afterMigrate"), event: "afterMigrate")
        }
        return []
    }

    /// The executor of this run's steps on `database`, with the catalog's Flyway each-migrate callbacks;
    /// without `recording`, it writes no history rows.
    private func executor(
        on database: any DatabaseDriver, inShadow: Bool, readings: ScriptReadings, recording: Bool = true
    ) -> MigrationStepExecutor {
        MigrationStepExecutor(
            driver: database, context: recording ? context : nil, directoryPrefix: context.directoryPrefix,
            inShadow: inShadow,
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

/// Why a plan cannot be applied in one transaction (`mig up --single-transaction`): said before
/// anything runs.
public struct SingleTransactionRefusal: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

/// A plan applied in one transaction (`mig up --single-transaction`, PostgreSQL): checked before
/// anything runs, since a step that must run outside a transaction, or that manages its own, cannot
/// be part of it.
private struct SingleTransactionPlan {
    let driver: PostgresDriver

    init(_ plan: MigrationPlan, on database: any DatabaseDriver, executor: MigrationStepExecutor) throws {
        guard let driver = database as? PostgresDriver else {
            throw SingleTransactionRefusal(
                reason:
                    "--single-transaction is for PostgreSQL databases; SQLite applies one transaction per migration")
        }
        for step in plan.steps {
            let (script, _, mode) = try executor.prepare(step)
            guard mode != .wrapped else { continue }
            let path = RunContext.displayPath(of: script.path, under: executor.directoryPrefix)
            switch mode {
            case .outsideTransaction(let reason): throw Self.refusal("\(path) runs outside a transaction (\(reason))")
            default: throw Self.refusal("\(path) manages its own transactions")
            }
        }
        for repeatable in plan.repeatables where try executor.transactionMode(of: repeatable) != .wrapped {
            throw Self.refusal("the repeatable migration \(repeatable.identifier) does not run in one transaction")
        }
        self.driver = driver
    }

    private static func refusal(_ reason: String) -> SingleTransactionRefusal {
        SingleTransactionRefusal(
            reason: "--single-transaction runs the whole plan in one transaction, but \(reason): nothing was run; "
                + "apply without --single-transaction (one transaction per migration)")
    }

    /// Runs `steps` on the database inside one transaction and commits it; on a failure everything
    /// is rolled back, and the failure says so.
    func apply<Result>(steps: (any DatabaseDriver) throws -> Result) throws -> Result {
        let transaction = try driver.beginSingleTransaction()
        let result: Result
        do {
            result = try steps(transaction)
        } catch let failure as MigrationFailure {
            throw failure.with(.planRolledBack)
        }
        try transaction.commit()
        return result
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
    /// (never run where it could commit), and every step after it.
    public let unrehearsed: [Unrehearsed]
    /// The plan's repeatable migrations that ran, in order (after every step).
    public internal(set) var completedRepeatables: [CompletedRepeatable] = []

    /// A step that was not rehearsed, and why.
    public struct Unrehearsed: Sendable, Hashable {
        public let migration: String
        public let reason: String
    }
}
