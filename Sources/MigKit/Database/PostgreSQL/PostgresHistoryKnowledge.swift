/// What a run knows of its history table while it holds the migration lock, when nothing but the run
/// itself writes the table: so that a migration's history row can be a plain insert, without
/// searching the table for other spellings of its version or for the highest applied order (scans
/// that cost more than the row itself once the table holds a thousand rows), and its event gets its
/// id without a look for the highest.
///
/// It is learnt from the rows read under the lock (`learn(_:)`), kept up to date by every write, and
/// forgotten where it could be wrong: a write whose outcome it cannot tell (a row that replaced
/// another) makes it forget the order, and everything goes when the lock is released.
struct PostgresHistoryKnowledge {
    /// Every version spelling that may be in the table, by `PostgresHistoryTable.canonicalSpelling(_:)`:
    /// a superset (a rolled-back write may stay in it, which only costs a search that finds nothing).
    private var spellings: [String: Set<String>]?
    /// The highest `applied_order` in the table (0 when none), when known exactly.
    private var highestOrder: Int64?
    /// The new rows written in the open transaction, in order, which count once that commits.
    private var pending: [(spelling: String, order: Int64)] = []
    /// The highest id in the events record (0 when empty), when known exactly.
    private var highestEventID: Int64?
    /// The id of the last event written in the open transaction, which counts once that commits.
    private var pendingEventID: Int64?

    /// Knows nothing: every write searches the table.
    mutating func forget() {
        spellings = nil
        highestOrder = nil
        pending = []
        highestEventID = nil
        pendingEventID = nil
    }

    /// Learns the highest id of the events record, read outside any transaction of this run.
    mutating func learnEvents(highestID: Int64) {
        highestEventID = highestID
        pendingEventID = nil
    }

    /// The id the next event gets, when the highest is known.
    func nextEventID() -> Int64? {
        highestEventID.map { (pendingEventID ?? $0) + 1 }
    }

    /// An event was written with `id` (`nil`: the table chose it); in the open transaction when
    /// `inTransaction`, else already committed.
    mutating func wroteEvent(id: Int64?, inTransaction: Bool) {
        guard let id else {
            highestEventID = nil
            pendingEventID = nil
            return
        }
        if inTransaction { pendingEventID = id } else { highestEventID = id }
    }

    /// Learns the table from all its rows, read outside any transaction of this run.
    mutating func learn(_ rows: [AppliedMigration]) {
        spellings = [:]
        for row in rows { note(row.version.text) }
        highestOrder = rows.compactMap(\.appliedOrder).max() ?? 0
        pending = []
    }

    /// How to write a row of `spelling`: whether another spelling of its version may be in the table,
    /// and, when the row is certainly new and the highest order known, the order it gets.
    func plan(for spelling: String) -> (otherSpellings: Bool, order: Int64?) {
        guard let spellings else { return (true, nil) }
        let known = spellings[PostgresHistoryTable.canonicalSpelling(spelling), default: []]
        guard known.isEmpty, let highest = highestOrder else { return (known.contains { $0 != spelling }, nil) }
        return (false, (pending.last?.order ?? highest) + 1)
    }

    /// A row of `spelling` was written with `order` (`nil`: the table chose it); in the open
    /// transaction when `inTransaction`, else already committed.
    mutating func wrote(_ spelling: String, order: Int64?, inTransaction: Bool) {
        note(spelling)
        guard let order else {
            // Unknown from here on; rows written before it in the transaction stay noted.
            highestOrder = nil
            pending = []
            return
        }
        if inTransaction { pending.append((spelling, order)) } else { highestOrder = order }
    }

    /// Rows were deleted: the highest order may have gone with them.
    mutating func removed() { highestOrder = nil }

    /// The open transaction committed.
    mutating func committed() {
        if let last = pending.last { highestOrder = last.order }
        pending = []
        if let pendingEventID { highestEventID = pendingEventID }
        pendingEventID = nil
    }

    /// The open transaction was rolled back: its new rows are not in the table.
    mutating func rolledBack() {
        for row in pending {
            spellings?[PostgresHistoryTable.canonicalSpelling(row.spelling)]?.remove(row.spelling)
        }
        pending = []
        pendingEventID = nil
    }

    private mutating func note(_ spelling: String) {
        spellings?[PostgresHistoryTable.canonicalSpelling(spelling), default: []].insert(spelling)
    }
}
