import Foundation

/// One line of the events record (`<history_table>_events`): something that happened to the
/// history of a database — an apply, a revert, a baseline, a repair — kept after the history row
/// it concerns is gone.
///
/// The history table says what a database has now (a `down` deletes its row); the events record
/// says how it got there. mig only ever appends to it, in the transaction that changes the
/// history table where there is one, so `mig log` shows the past as it happened.
public struct HistoryEvent: Sendable, Hashable {
    /// What happened.
    public enum Kind: String, Sendable {
        /// An up script ran and its row was recorded applied (`mig up`).
        case applied
        /// A down script ran and the row was removed (`mig down`, `mig redo`).
        case reverted
        /// A script that runs outside mig's transaction started (or resumed); written with its first
        /// dirty row, so a run killed part-way leaves a trace.
        case started
        /// A script outside a transaction failed part-way and left its row dirty.
        case failed
        /// Recorded applied without running, by `mig baseline`.
        case baselined
        /// Recorded from another tool's history table, by `mig adopt` or `mig init --database`.
        case adopted
        /// The stored checksum was replaced with the file's current one, by `mig repair`.
        case repaired
        /// A dirty row was settled by `mig resolve` (`detail` says how).
        case resolved
        /// A repeatable migration (`R__name.sql`, no version) ran.
        case repeatableApplied = "repeatable-applied"
    }

    /// The record's own number, increasing in the order events were written; `nil` before it is written.
    public let id: Int64?
    /// The migration's version, as the history table spells it; `nil` for a repeatable migration.
    public let version: String?
    /// The migration's name (the file name's part after the version), or the repeatable's name.
    public let name: String
    /// What happened (`Kind`).
    public let kind: Kind
    /// The checksum recorded with the event (the new one for a repair), when there is one.
    public let checksum: String?
    public let at: Date
    /// Who made it happen: Git's `user.name`, else the operating-system user (`RunContext.appliedBy`).
    public let by: String
    /// The database role that wrote it (PostgreSQL's `current_user`); `nil` on SQLite, which has none.
    public let databaseUser: String?
    /// The HEAD commit mig ran from, when known.
    public let gitCommit: String?
    /// More about it, in words: where an adoption came from, the checksum a repair replaced, how a
    /// dirty row was resolved, what a failure said.
    public let detail: String?

    public init(
        id: Int64? = nil, version: String?, name: String, kind: Kind, checksum: String?, at: Date, by: String,
        databaseUser: String? = nil, gitCommit: String?, detail: String? = nil
    ) {
        self.id = id
        self.version = version
        self.name = name
        self.kind = kind
        self.checksum = checksum
        self.at = at
        self.by = by
        self.databaseUser = databaseUser
        self.gitCommit = gitCommit
        self.detail = detail
    }

    /// The event that records `record` being written as `kind`, by whoever `context` names.
    public init(
        _ kind: Kind, of record: AppliedMigration, context: RunContext, at: Date = Date(), detail: String? = nil
    ) {
        self.init(
            version: record.version.text, name: record.name, kind: kind,
            checksum: record.checksum.isEmpty ? nil : record.checksum, at: at, by: context.appliedBy,
            gitCommit: context.gitCommit, detail: detail)
    }

    /// The events table's name beside the history table `historyTable`.
    public static func tableName(besides historyTable: String) -> String { historyTable + "_events" }
}

extension [HistoryEvent] {
    /// The events of `versions`, as versions compare (`0003` is `3`); every event when `versions` is
    /// empty. A repeatable migration's events have no version, so a filter leaves them out.
    public func of(_ versions: [Version]) -> [HistoryEvent] {
        guard !versions.isEmpty else { return self }
        return filter { event in event.version.flatMap { Version($0) }.map(versions.contains) ?? false }
    }
}
