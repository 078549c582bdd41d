import Foundation

/// Runs one step of a plan on one database, in the step's `TransactionMode`, together with its
/// history row when `context` is given.
///
/// Shared by the runner (real databases and their rehearsal copies) and the shadow replays
/// (no history), so a migration behaves the same in all of them.
struct MigrationStepExecutor {
    let driver: any DatabaseDriver
    /// `nil`: replay only, no history rows.
    let context: RunContext?
    let directoryPrefix: String
    let inShadow: Bool
    let readings: ScriptReadings
    /// Flyway's `beforeEachMigrate` and `afterEachMigrate` callbacks, run around every applied
    /// migration (inside its transaction when it has one).
    let eachMigrate: (before: [Script], after: [Script])

    init(
        driver: any DatabaseDriver, context: RunContext?, directoryPrefix: String, inShadow: Bool,
        readings: ScriptReadings? = nil, eachMigrate: (before: [Script], after: [Script]) = ([], [])
    ) {
        self.driver = driver
        self.context = context
        self.directoryPrefix = directoryPrefix
        self.inShadow = inShadow
        self.readings = readings ?? ScriptReadings(dialect: driver.dialect)
        self.eachMigrate = eachMigrate
    }

    /// Runs the callback scripts of `event` (Flyway's `beforeMigrate`, `afterMigrate`), each in a
    /// transaction of its own.
    func performCallbacks(_ scripts: [Script], event: String) throws(MigrationFailure) {
        for script in scripts {
            do {
                try driver.beginTransaction(for: script)
                try driver.execute(script)
                try driver.commitTransaction()
            } catch {
                try? driver.rollbackTransaction()
                let database = error as? DatabaseError
                throw MigrationFailure(
                    migration: "the \(event) callback", direction: .up,
                    location: SourceLocation(
                        path: RunContext.displayPath(of: database?.path ?? script.path, under: directoryPrefix),
                        line: database?.line),
                    message: database?.summary ?? String(describing: error),
                    consequence: inShadow ? .shadow : .rolledBack)
            }
        }
    }

    /// The script of `step`, read, with the mode it runs in; a script the reader rejects fails here,
    /// before anything of it runs.
    func prepare(_ step: MigrationPlan.Step) throws(MigrationFailure) -> (Script, SQLScript, TransactionMode) {
        guard let script = step.script else {
            throw MigrationFailure(
                migration: step.migration.identifier, direction: .down, location: nil,
                message: "it has no down script", consequence: inShadow ? .shadow : .notRun)
        }
        let (reading, mode) = try read(script, of: step.migration.identifier, direction: direction(of: step))
        return (script, reading, mode)
    }

    /// `script` read by the dialect's reader, with the mode it runs in; a rejected script fails
    /// here as a failure of `identifier`, before anything of it runs.
    private func read(_ script: Script, of identifier: String, direction: Direction) throws(MigrationFailure)
        -> (SQLScript, TransactionMode)
    {
        do {
            let reading = try readings.read(script)
            return (reading, TransactionMode(script: script, reading: reading))
        } catch {
            throw MigrationFailure(
                migration: identifier, direction: direction,
                location: SourceLocation(
                    path: RunContext.displayPath(of: error.path, under: directoryPrefix), line: error.line),
                message: error.message, consequence: inShadow ? .shadow : .notRun)
        }
    }

    /// The mode `repeatable` runs in; a script the reader rejects fails here.
    func transactionMode(of repeatable: RepeatableMigration) throws(MigrationFailure) -> TransactionMode {
        try read(repeatable.script, of: repeatable.identifier, direction: .up).1
    }

    /// Why a rehearsal cannot run `repeatable` (as `reasonNotToRehearse(_:)` says for a step).
    func reasonNotToRehearse(_ repeatable: RepeatableMigration) throws(MigrationFailure) -> String? {
        let (reading, mode) = try read(repeatable.script, of: repeatable.identifier, direction: .up)
        let path = RunContext.displayPath(of: repeatable.script.path, under: directoryPrefix)
        if let other = outsideFileUse(in: reading, of: repeatable.script) {
            return "\(path) is a repeatable migration that \(other), which this rehearsal cannot undo: it was not run"
        }
        guard mode.isSelfManaged else { return nil }
        return "\(path) is a repeatable migration that manages its own transactions, "
            + "which this rehearsal cannot undo: it was not run"
    }

    /// What in `reading` reaches files outside the database, which a rehearsal on a copy would reach
    /// for real, on this machine: SQLite's `ATTACH` (a relative path names the same file for the
    /// copy, which the script may then change) and `VACUUM … INTO`; PostgreSQL's `COPY` to or from a
    /// server file or program (the shadow server would read, write or run it here, as its superuser)
    /// and `CREATE TABLESPACE` (a folder of the database server's machine). `nil` when nothing does.
    private func outsideFileUse(in reading: SQLScript, of script: Script) -> String? {
        for statement in reading.statements {
            let line = script.fileLine(forScriptLine: statement.startLine)
            switch driver.dialect {
            case .sqlite:
                let words = statement.text.prefix(64).split(whereSeparator: \.isWhitespace).prefix(3).map {
                    $0.uppercased()
                }
                if words.first == "ATTACH" { return "attaches another database file (line \(line))" }
                if words.first == "VACUUM", words.dropFirst().contains("INTO") {
                    return "writes a copy of the database to a file (VACUUM INTO, line \(line))"
                }
            case .postgres:
                switch statement.tree.map(PostgresStatementNode.init) {
                case .copy(_, toClient: false)?:
                    return "copies to or from a file or program of the database server (COPY, line \(line))"
                case .alwaysOutsideTransaction("CREATE TABLESPACE")?:
                    return "creates a tablespace in a folder of the database server (line \(line))"
                default: break
                }
            }
        }
        return nil
    }

    /// Runs a repeatable migration and, with a `context`, records it in the repeatables table;
    /// returns its time in milliseconds. It runs in one transaction with its row unless it must run
    /// outside one; then statement by statement, and the row is written once every statement ran.
    func perform(_ repeatable: RepeatableMigration) throws(MigrationFailure) -> Int {
        let script = repeatable.script
        let (reading, mode) = try read(script, of: repeatable.identifier, direction: .up)
        let clock = ContinuousClock()
        let start = clock.now
        var progress = Progress()
        do {
            if mode == .wrapped {
                try driver.beginTransaction(for: script)
                if reading.hasCopyData {
                    try run(reading.statements, of: script, progress: &progress)
                } else {
                    try driver.execute(script)
                }
            } else {
                try run(reading.statements, of: script, progress: &progress)
            }
            let milliseconds = Self.milliseconds(clock.now - start)
            if let context {
                try together(inScriptTransaction: mode == .wrapped) {
                    try driver.recordRepeatable(
                        AppliedRepeatable(
                            name: repeatable.name, checksum: script.checksum, appliedAt: Date(),
                            executionMilliseconds: milliseconds, appliedBy: context.appliedBy,
                            gitCommit: context.gitCommit))
                    try driver.recordEvent(
                        HistoryEvent(
                            version: nil, name: repeatable.name, kind: .repeatableApplied, checksum: script.checksum,
                            at: Date(), by: context.appliedBy, gitCommit: context.gitCommit))
                }
            }
            if mode == .wrapped { try driver.commitTransaction() }
            return milliseconds
        } catch {
            if mode == .wrapped || mode.isSelfManaged { try? driver.rollbackTransaction() }
            let database = error as? DatabaseError
            let consequence: MigrationFailure.Consequence
            if inShadow {
                consequence = .shadow
            } else if mode == .wrapped {
                consequence = .rolledBack
            } else {
                consequence = .partlyApplied(
                    "it ran outside a transaction: \(progress.completed) of \(reading.statements.count) statement(s) "
                        + "completed and stay applied; it was not recorded, so `mig up` runs it again in full")
            }
            throw MigrationFailure(
                migration: repeatable.identifier, direction: .up,
                location: SourceLocation(
                    path: RunContext.displayPath(of: database?.path ?? script.path, under: directoryPrefix),
                    line: database?.line),
                message: database?.summary ?? String(describing: error), consequence: consequence)
        }
    }

    /// Why a rehearsal (or dry run) cannot run `step`: a script with its own transaction control is
    /// never run where it could commit. `nil` when it can.
    func reasonNotToRehearse(_ step: MigrationPlan.Step) throws(MigrationFailure) -> String? {
        let (script, reading, mode) = try prepare(step)
        let path = RunContext.displayPath(of: script.path, under: directoryPrefix)
        if let other = outsideFileUse(in: reading, of: script) {
            return "\(path) \(other), which a rehearsal or dry run cannot undo: it was not run"
        }
        guard case .selfManaged(let line) = mode else { return nil }
        return "\(path) manages its own transactions (line \(script.fileLine(forScriptLine: line))), "
            + "so a rehearsal or dry run cannot undo it: it was not run"
    }

    /// Runs `step` and returns its time in milliseconds. A step that runs in a transaction runs in
    /// one of its own, or, `inSharedTransaction`, in the open one its caller began and ends
    /// (`RehearsalTransactions`).
    func perform(_ step: MigrationPlan.Step, inSharedTransaction: Bool = false) throws(MigrationFailure) -> Int {
        let (script, reading, mode) = try prepare(step)
        let ownsTransaction = mode == .wrapped && !inSharedTransaction
        let migration = step.migration
        let clock = ContinuousClock()
        let start = clock.now
        var progress = Progress()
        let callbacks: (before: [Script], after: [Script]) = step.isApply ? eachMigrate : ([], [])
        do {
            if ownsTransaction { try driver.beginTransaction(for: script) }
            for callback in callbacks.before { try driver.execute(callback) }
            switch mode {
            case .wrapped:
                // COPY data goes with its statement, which only a statement-by-statement run can send.
                if reading.hasCopyData {
                    for statement in reading.statements { try driver.execute(statement, of: script) }
                } else {
                    try driver.execute(script)
                }
            case .outsideTransaction:
                if case .apply = step, let context {
                    try applyResumably(migration, reading.statements, context: context, progress: &progress)
                } else {
                    if let context { try recordStart(of: step, mode, context: context) }
                    try run(reading.statements, of: script, progress: &progress)
                }
            case .selfManaged:
                if let context { try recordStart(of: step, mode, context: context) }
                try run(reading.statements, of: script, progress: &progress)
            }
            for callback in callbacks.after { try driver.execute(callback) }
            let milliseconds = Self.milliseconds(clock.now - start)
            if let context {
                let row = record(migration, milliseconds: milliseconds, state: .applied)
                try together(inScriptTransaction: mode == .wrapped) {
                    switch step {
                    case .apply:
                        try driver.recordApplied(row)
                        try driver.recordEvent(HistoryEvent(.applied, of: row, context: context))
                    case .revert:
                        try driver.removeAppliedRecord(version: migration.version)
                        try driver.recordEvent(HistoryEvent(.reverted, of: row, context: context))
                    }
                }
            }
            if ownsTransaction { try driver.commitTransaction() }
            return milliseconds
        } catch {
            var unrecorded: (any Error)?
            if mode == .wrapped {
                if ownsTransaction { try? driver.rollbackTransaction() }
            } else {
                // A self-managed script may have failed inside its own transaction: end it first.
                if case .selfManaged = mode { try? driver.rollbackTransaction() }
                // A resumable run keeps its own dirty row; a self-managed one that ran nothing changed nothing.
                let ranSomething = progress.completed > 0 || !mode.isSelfManaged
                if let context, ranSomething {
                    let dirty = record(
                        migration, milliseconds: 0, state: .dirty, completed: [Self.marker(for: step, mode)])
                    do {
                        try together(inScriptTransaction: false) {
                            if !(step.isApply && isResumable(mode)) { try driver.recordApplied(dirty) }
                            try driver.recordEvent(
                                HistoryEvent(
                                    .failed, of: dirty, context: context,
                                    detail: "\(step.isApply ? "up" : "down") failed after \(progress.completed) of "
                                        + "\(reading.statements.count) statement(s): "
                                        + ((error as? DatabaseError)?.message ?? String(describing: error))))
                        }
                    } catch let bookkeeping {
                        unrecorded = bookkeeping
                    }
                }
            }
            throw failure(
                error, step: step, script: script, mode: mode, statements: reading.statements, done: progress.completed,
                unrecorded: unrecorded)
        }
    }

    /// Writes a history change and its event so that neither exists without the other: in the
    /// script's transaction when it runs in one, else in a short transaction of their own.
    private func together(inScriptTransaction: Bool, _ write: () throws -> Void) throws {
        guard !inScriptTransaction else { return try write() }
        try driver.beginTransaction()
        do {
            try write()
            try driver.commitTransaction()
        } catch {
            try? driver.rollbackTransaction()
            throw error
        }
    }

    /// The `started` event of a step that runs outside mig's transaction, so that a run killed
    /// part-way leaves a line in `mig log` (a resumable up writes it with its first dirty row).
    private func recordStart(of step: MigrationPlan.Step, _ mode: TransactionMode, context: RunContext) throws {
        try driver.recordEvent(
            HistoryEvent(
                .started, of: record(step.migration, milliseconds: 0, state: .dirty), context: context,
                detail: "\(step.isApply ? "up" : "down") started outside a transaction"
                    + (mode.isSelfManaged ? " (the script manages its own transactions)" : "")))
    }

    /// How far a statement-by-statement run got.
    private struct Progress {
        var completed = 0
    }

    private func isResumable(_ mode: TransactionMode) -> Bool {
        if case .outsideTransaction = mode { true } else { false }
    }

    /// The marker a dirty row gets when the run cannot be resumed statement by statement.
    private static func marker(for step: MigrationPlan.Step, _ mode: TransactionMode) -> String {
        if case .selfManaged = mode, step.isApply { return AppliedMigration.selfManagedMarker }
        return AppliedMigration.failedRevertMarker
    }

    private func run(_ statements: [SQLStatement], of script: Script, progress: inout Progress) throws {
        for statement in statements {
            try driver.execute(statement, of: script)
            progress.completed += 1
        }
    }

    /// Runs a no-transaction up script statement by statement, keeping a `dirty` row that lists the
    /// statements done so far: a run that fails or is killed part-way leaves exactly that, and the
    /// next run starts after them when they are unchanged (`MigrationPlanner.resumePoint`).
    private func applyResumably(
        _ migration: Migration, _ statements: [SQLStatement], context: RunContext, progress: inout Progress
    ) throws {
        let previous = try driver.appliedMigrations().first { $0.version == migration.version && $0.state == .dirty }
        var done =
            previous.flatMap { MigrationPlanner.resumePoint(of: migration, after: $0, statements: statements) }.map {
                statements.prefix($0).map(\.digest)
            } ?? []
        progress.completed = done.count
        let first = record(migration, milliseconds: 0, state: .dirty, completed: done)
        try together(inScriptTransaction: false) {
            try driver.recordApplied(first)
            try driver.recordEvent(
                HistoryEvent(
                    .started, of: first, context: context,
                    detail: done.isEmpty
                        ? "up started outside a transaction"
                        : "up resumed outside a transaction after \(done.count) of \(statements.count) statement(s)"))
        }
        for statement in statements.dropFirst(done.count) {
            done.append(statement.digest)
            try driver.execute(
                statement, of: migration.up,
                thenRecord: record(migration, milliseconds: 0, state: .dirty, completed: done))
            progress.completed = done.count
        }
    }

    private func record(
        _ migration: Migration, milliseconds: Int, state: AppliedMigration.State, completed: [String] = []
    ) -> AppliedMigration {
        AppliedMigration(
            version: migration.version, name: migration.name, checksum: migration.up.checksum, appliedAt: Date(),
            executionMilliseconds: milliseconds, appliedBy: context?.appliedBy ?? "", gitCommit: context?.gitCommit,
            state: state, completedStatements: completed)
    }

    private func direction(of step: MigrationPlan.Step) -> Direction {
        if case .apply = step { .up } else { .down }
    }

    private func failure(
        _ error: any Error, step: MigrationPlan.Step, script: Script, mode: TransactionMode,
        statements: [SQLStatement], done: Int, unrecorded: (any Error)? = nil
    ) -> MigrationFailure {
        let database = error as? DatabaseError
        let shown = RunContext.displayPath(of: database?.path ?? script.path, under: directoryPrefix)
        let consequence: MigrationFailure.Consequence
        if inShadow {
            consequence = .shadow
        } else if mode == .wrapped {
            consequence = .rolledBack
        } else {
            var remains = Self.whatRemains(
                step: step, mode: mode, done: done, total: statements.count,
                failing: done < statements.count ? statements[done] : nil, context: context != nil)
            if let unrecorded {
                let reason = (unrecorded as? DatabaseError)?.summary ?? String(describing: unrecorded)
                remains += "; recording this failure in the history table and its events record failed too, "
                    + "so `mig status` and `mig log` may not show it: \(reason)"
            }
            consequence = .partlyApplied(remains)
        }
        return MigrationFailure(
            migration: step.migration.identifier, direction: direction(of: step),
            location: SourceLocation(path: shown, line: database?.line),
            message: database?.summary ?? String(describing: error), consequence: consequence,
            databaseCode: database?.code)
    }

    /// What a failed run outside mig's transaction left behind, said exactly.
    private static func whatRemains(
        step: MigrationPlan.Step, mode: TransactionMode, done: Int, total: Int, failing: SQLStatement?, context: Bool
    ) -> String {
        var text =
            switch mode {
            case .selfManaged:
                "the script manages its own transactions: \(done) of \(total) statement(s) ran before the failure, "
                    + "and what its own COMMITs committed stays; mig rolled back any transaction left open"
            default:
                "it ran outside a transaction: \(done) of \(total) statement(s) completed and stay applied"
            }
        if context, done > 0 || !mode.isSelfManaged {
            text +=
                step.isApply && !mode.isSelfManaged
                ? "; the migration is marked dirty and `mig up` resumes after them once the failing statement is fixed"
                : "; the migration is marked dirty: repair the database, then `mig resolve \(step.migration.version.text) --applied` or `--not-applied`"
        }
        if let index = failing?.concurrentIndex {
            text +=
                "; if the failed CREATE INDEX CONCURRENTLY got far enough to create \(index), it is INVALID "
                + "(unused, but updated on every write): drop it with `DROP INDEX CONCURRENTLY IF EXISTS \(index);`"
        } else if let failing,
            [.nonTransactional("CREATE INDEX CONCURRENTLY"), .nonTransactional("REINDEX CONCURRENTLY")].contains(
                failing.kind)
        {
            text +=
                "; the failed statement may have left an INVALID index: list them with "
                + "`SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;` and drop each with "
                + "`DROP INDEX CONCURRENTLY name;`"
        }
        return text
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

extension TransactionMode {
    var isSelfManaged: Bool { if case .selfManaged = self { true } else { false } }
}

extension MigrationPlan.Step {
    /// Whether the step runs an up script.
    public var isApply: Bool { if case .apply = self { true } else { false } }
}
