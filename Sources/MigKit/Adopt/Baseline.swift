import Foundation

/// What `mig baseline VERSION` records: every migration up to a version marked applied without
/// running it, for a database whose schema was built another way (a dump, another tool, by hand).
public struct BaselinePlan: Sendable {
    public let target: Version
    /// The rows written, in version order.
    public let records: [AppliedMigration]
    /// Migrations at or below the target already recorded applied with the current checksum: left as they are.
    public let alreadyApplied: [Version]
}

extension MigrationRunner {
    /// Marks every migration at or below `target` applied (unless `dryRun`), in one transaction,
    /// holding the migration lock. Refuses, writing nothing, when one of them is already recorded
    /// differently (dirty, or with another checksum).
    public func baseline(to target: Version, dryRun: Bool, now: Date = Date()) throws -> BaselinePlan {
        if !dryRun { try driver.acquireMigrationLock() }
        defer { if !dryRun { try? driver.releaseMigrationLock() } }
        let covered = catalog.migrations.filter { $0.version <= target }
        guard !covered.isEmpty else { throw AdoptError.nothingToBaseline(target) }
        let recorded = Dictionary(
            try driver.appliedMigrations().map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var records: [AppliedMigration] = []
        var already: [Version] = []
        var problems: [String] = []
        for migration in covered {
            switch recorded[migration.version] {
            case nil:
                records.append(
                    AppliedMigration(
                        version: migration.version, name: migration.name, checksum: migration.up.checksum,
                        appliedAt: now, executionMilliseconds: 0, appliedBy: "baseline by \(context.appliedBy)",
                        gitCommit: context.gitCommit, state: .applied))
            case let row? where row.state == .dirty:
                problems.append("\(migration.identifier) is dirty (settle it with `mig resolve` first)")
            case let row? where row.checksum != migration.up.checksum:
                problems.append("\(migration.identifier) was applied from a different file (checksum differs)")
            case .some:
                already.append(migration.version)
            }
        }
        guard problems.isEmpty else { throw AdoptError.recordedDifferently(problems) }
        // New rows come after every recorded one in the applied order, which must then be version order.
        let above = recorded.keys.filter { version in records.contains { $0.version < version } }.sorted()
        guard above.isEmpty else {
            throw AdoptError.baselineBelowApplied(
                baselined: records.map(\.version).filter { $0 < above[above.count - 1] }, applied: above)
        }
        if !dryRun {
            try HistoryWriter(driver: driver).write(records) {
                HistoryEvent(.baselined, of: $0, context: context, at: now, detail: "baseline to \(target.text)")
            }
        }
        return BaselinePlan(target: target, records: records, alreadyApplied: already)
    }
}
