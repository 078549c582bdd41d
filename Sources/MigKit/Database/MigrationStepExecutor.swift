import Foundation

/// Runs one step of a plan on one database: the script inside a transaction (unless it asked to
/// run outside one) together with its history row when `context` is given.
///
/// Shared by the runner (real databases and their rehearsal copies) and the shadow replays
/// (no history), so a migration behaves the same in all of them.
struct MigrationStepExecutor {
    let driver: any DatabaseDriver
    /// `nil`: replay only, no history rows.
    let context: RunContext?
    let directoryPrefix: String
    let inShadow: Bool

    /// Runs `step` and returns its time in milliseconds.
    func perform(_ step: MigrationPlan.Step) throws(MigrationFailure) -> Int {
        let migration = step.migration
        guard let script = step.script else {
            throw MigrationFailure(
                migration: migration.identifier, direction: .down, location: nil,
                message: "it has no down script", inShadow: inShadow)
        }
        let transactional = !script.runsOutsideTransaction
        let clock = ContinuousClock()
        let start = clock.now
        do {
            if transactional {
                try driver.beginTransaction(for: script)
                try driver.execute(script)
            } else if case .apply = step, context != nil {
                try applyResumably(migration)
            } else {
                try driver.execute(script)
            }
            let milliseconds = Self.milliseconds(clock.now - start)
            if context != nil {
                switch step {
                case .apply: try driver.recordApplied(record(migration, milliseconds: milliseconds, state: .applied))
                case .revert: try driver.removeAppliedRecord(version: migration.version)
                }
            }
            if transactional { try driver.commitTransaction() }
            return milliseconds
        } catch {
            if transactional {
                try? driver.rollbackTransaction()
            } else if case .revert = step, context != nil {
                try? driver.recordApplied(
                    record(migration, milliseconds: 0, state: .dirty, completed: [AppliedMigration.failedRevertMarker]))
            }
            throw failure(error, step: step, script: script)
        }
    }

    /// Runs a no-transaction up script statement by statement, keeping a `dirty` row that lists the
    /// statements done so far: a run that fails or is killed part-way leaves exactly that, and the
    /// next run starts after them when they are unchanged (`MigrationPlanner.resumePoint`).
    private func applyResumably(_ migration: Migration) throws {
        let previous = try driver.appliedMigrations().first { $0.version == migration.version && $0.state == .dirty }
        let statements = StatementSplitter.split(migration.up.sql)
        var done =
            previous.flatMap { MigrationPlanner.resumePoint(of: migration, after: $0) }.map {
                statements.prefix($0).map(\.digest)
            } ?? []
        try driver.recordApplied(record(migration, milliseconds: 0, state: .dirty, completed: done))
        for statement in statements.dropFirst(done.count) {
            done.append(statement.digest)
            try driver.execute(
                statement, of: migration.up,
                thenRecord: record(migration, milliseconds: 0, state: .dirty, completed: done))
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

    private func failure(_ error: any Error, step: MigrationPlan.Step, script: Script) -> MigrationFailure {
        let database = error as? DatabaseError
        let shown = RunContext.displayPath(of: database?.path ?? script.path, under: directoryPrefix)
        let direction: Direction = if case .apply = step { .up } else { .down }
        return MigrationFailure(
            migration: step.migration.identifier, direction: direction,
            location: SourceLocation(path: shown, line: database?.line),
            message: database?.summary ?? String(describing: error), inShadow: inShadow)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
