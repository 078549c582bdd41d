import Foundation

/// Runs the steps of a rehearsal that each run in a transaction of their own (`TransactionMode.wrapped`)
/// on the throw-away copy in shared transactions of up to `limit` steps, when the copy allows it
/// (`DatabaseDriver.maySharePlanTransactions()`) and no script of the plan says `DEFERRABLE`: a
/// deferred check runs at a commit, on the reset session, and `SET CONSTRAINTS ALL IMMEDIATE`
/// between shared steps would move the checks of every later step to the ends of its statements.
///
/// A commit per migration was most of a PostgreSQL rehearsal's time, and the copy is thrown away,
/// so the locks a shared transaction holds keep no one waiting. Each step still meets the copy as it
/// would after its own commit: the session is reset, and the constraints the step before deferred
/// are checked, as its commit would. When a shared transaction fails, it is rolled back and
/// its steps run again, one transaction each, so that the failure reported is the one the real run
/// would meet, and a step that fails only when sharing (an enum value used in the transaction that
/// added it) rehearses as it will run.
struct RehearsalTransactions {
    let copy: any DatabaseDriver
    let executor: MigrationStepExecutor
    /// The most steps one shared transaction holds: bounds the locks it takes.
    let limit: Int
    /// Whether steps share transactions at all.
    private let shares: Bool
    /// The steps done in the open shared transaction.
    private var sharing: [MigrationPlan.Step] = []

    init(copy: any DatabaseDriver, executor: MigrationStepExecutor, plan: MigrationPlan, limit: Int = 64) throws {
        self.copy = copy
        self.executor = executor
        self.limit = limit
        let declaresDeferrable = plan.steps.contains { step in
            step.script.map { $0.sql.range(of: "deferrable", options: .caseInsensitive) != nil } ?? false
        }
        shares = try !declaresDeferrable && copy.maySharePlanTransactions()
    }

    /// Runs `step`: in the shared transaction when it runs in one of its own, else on its own once
    /// the shared transaction has committed.
    mutating func perform(_ step: MigrationPlan.Step) throws {
        guard shares, case .wrapped = try executor.prepare(step).2 else {
            try commit()
            _ = try executor.perform(step)
            return
        }
        do {
            if sharing.isEmpty { try copy.beginTransaction() }
            _ = try executor.perform(step, inSharedTransaction: true)
            try copy.checkDeferredConstraints()
        } catch {
            // On a connection the server ended, the steps before would fail again, for that alone.
            guard copy.isConnected else { throw error }
            try performAlone(sharing + [step])
            return
        }
        sharing.append(step)
        if sharing.count == limit { try commit() }
    }

    /// Commits the shared transaction, if one is open; when the commit fails, its steps run again
    /// one transaction each.
    mutating func commit() throws {
        guard !sharing.isEmpty else { return }
        do {
            try copy.commitTransaction()
            sharing = []
        } catch {
            guard copy.isConnected else { throw error }
            try performAlone(sharing)
        }
    }

    /// Rolls the shared transaction back and runs `steps` again, each in a transaction of its own.
    private mutating func performAlone(_ steps: [MigrationPlan.Step]) throws {
        try? copy.rollbackTransaction()
        sharing = []
        for step in steps { _ = try executor.perform(step) }
    }
}
