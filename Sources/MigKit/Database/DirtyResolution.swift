import Foundation

/// How a person settles a `dirty` migration after repairing the database by hand (`mig resolve`):
/// the way out when `mig up` cannot resume because the statements that had run were changed.
public enum DirtyResolution: String, Sendable, CaseIterable {
    /// Its changes are in place: the row becomes `applied`, with the current file's checksum.
    case applied
    /// Nothing of it remains: the row is removed, so `mig up` runs it again from the start.
    case notApplied = "not-applied"
}

/// Why `mig resolve` refused.
public enum ResolveError: Error, Sendable, Equatable, CustomStringConvertible {
    case notInHistory(Version)
    case notDirty(Version)
    case noFile(Version)

    public var description: String {
        switch self {
        case .notInHistory(let version):
            "migration \(version) is not in the history table: there is nothing to resolve (see `mig status`)"
        case .notDirty(let version):
            "migration \(version) is not dirty: only a migration that failed part-way can be resolved"
        case .noFile(let version):
            "migration \(version) has no file in the migration directory, so mig cannot record its checksum: "
                + "restore the file, or resolve it as --not-applied"
        }
    }
}

extension MigrationRunner {
    /// Settles the dirty migration `version` as `resolution`, holding the migration lock.
    public func resolve(_ version: Version, as resolution: DirtyResolution) throws {
        try driver.acquireMigrationLock()
        defer { try? driver.releaseMigrationLock() }
        guard let record = try driver.appliedMigrations().first(where: { $0.version == version }) else {
            throw ResolveError.notInHistory(version)
        }
        guard record.state == .dirty else { throw ResolveError.notDirty(version) }
        let resolved: AppliedMigration
        switch resolution {
        case .notApplied:
            resolved = record
        case .applied:
            guard let migration = catalog.migration(version) else { throw ResolveError.noFile(version) }
            // Recorded under the file's spelling of the version, as `up` records it (never as typed:
            // `3` for the file `0003`), replacing the row; it keeps when, by whom and from which commit
            // the migration ran, and the `resolved` event records who settled it.
            resolved = AppliedMigration(
                version: migration.version, name: migration.name, checksum: migration.up.checksum,
                appliedAt: record.appliedAt, executionMilliseconds: record.executionMilliseconds,
                appliedBy: record.appliedBy, gitCommit: record.gitCommit, state: .applied)
        }
        try driver.ensureHistoryTable()
        try driver.beginTransaction()
        do {
            switch resolution {
            case .notApplied: try driver.removeAppliedRecord(version: version)
            case .applied: try driver.recordApplied(resolved)
            }
            try driver.recordEvent(HistoryEvent(.resolved, of: resolved, context: context, detail: resolution.rawValue))
            try driver.commitTransaction()
        } catch {
            try? driver.rollbackTransaction()
            throw error
        }
    }
}
