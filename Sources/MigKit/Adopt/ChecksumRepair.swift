import Foundation

/// What `mig repair` re-records: the checksums of applied migrations whose files were edited on
/// purpose (a comment, a fix that is already in place), so that `status` stops calling them
/// changed and `up` stops refusing — each one a `repaired` line in the events record saying who
/// re-recorded it, when, and which checksum it replaced.
public struct RepairPlan: Sendable {
    /// The rows as rewritten, in version order.
    public let records: [AppliedMigration]
}

/// Why `mig repair` refused.
public enum RepairError: Error, Sendable, Equatable, CustomStringConvertible {
    case notChanged(Version, state: String)

    public var description: String {
        switch self {
        case .notChanged(let version, let state):
            "migration \(version) is \(state), not changed: only an applied migration whose file was edited since "
                + "can be repaired (see `mig status`; a dirty one is settled with `mig resolve`)"
        }
    }
}

extension MigrationRunner {
    /// Re-records the current checksum of every changed migration, or only of `versions`, unless
    /// `dryRun`; in one transaction, holding the migration lock. A named version that is not
    /// changed is refused, and nothing is written.
    public func repairChecksums(of versions: [Version]? = nil, dryRun: Bool, now: Date = Date()) throws -> RepairPlan {
        if !dryRun { try driver.acquireMigrationLock() }
        defer { if !dryRun { try? driver.releaseMigrationLock() } }
        let statuses = MigrationPlanner(catalog: catalog, applied: try driver.appliedMigrations(), dialect: driver.dialect).status()
        let chosen: [MigrationStatus]
        if let versions {
            chosen = try versions.sorted().map { version in
                guard let status = statuses.first(where: { $0.version == version }) else {
                    throw RepairError.notChanged(version, state: "not in the migration directory")
                }
                guard status.state == .changed else {
                    throw RepairError.notChanged(version, state: status.state.rawValue)
                }
                return status
            }
        } else {
            chosen = statuses.filter { $0.state == .changed }
        }
        var replaced: [Version: String] = [:]
        let records = chosen.compactMap { status -> AppliedMigration? in
            guard let record = status.applied, let migration = catalog.migration(status.version) else { return nil }
            replaced[record.version] = record.checksum
            return AppliedMigration(
                version: record.version, name: migration.name, checksum: migration.up.checksum,
                appliedAt: record.appliedAt, executionMilliseconds: record.executionMilliseconds,
                appliedBy: record.appliedBy, gitCommit: record.gitCommit, state: record.state,
                completedStatements: record.completedStatements, appliedOrder: record.appliedOrder)
        }
        if !dryRun {
            try HistoryWriter(driver: driver).write(records) { record in
                HistoryEvent(
                    .repaired, of: record, context: context, at: now,
                    detail: "checksum re-recorded; it was \(replaced[record.version] ?? "")")
            }
        }
        return RepairPlan(records: records)
    }
}
