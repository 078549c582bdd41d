import Foundation

/// The SQLite side of the applied order and the events record (`HistoryEvent`).
extension SQLiteDriver {
    private var quotedHistory: String { SQLiteSchemaReader.quoted(historyTable) }
    private var quotedEventsTable: String { SQLiteSchemaReader.quoted(HistoryEvent.tableName(besides: historyTable)) }

    /// Whether the history table has the `applied_order` column (a table an earlier mig created has
    /// not, until `upgradeHistoryTable()` adds it).
    func historyHasAppliedOrder() throws -> Bool {
        let statement = try connection.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = 'applied_order'")
        try statement.bind([.text(historyTable)])
        return try statement.step()
    }

    /// Adds `applied_order` to a history table an earlier mig created, and numbers every row without
    /// one after the numbered ones, by `applied_at` then version (`AppliedMigration.inAppliedOrder`):
    /// in one transaction, so a table is either upgraded whole or not at all.
    func upgradeHistoryTable() throws {
        let hasColumn = try historyHasAppliedOrder()
        let unnumbered = try appliedMigrations().filter { $0.appliedOrder == nil }
        guard !hasColumn || !unnumbered.isEmpty else { return }
        let ownsTransaction = !connection.isInTransaction
        if ownsTransaction { try beginTransaction() }
        do {
            if !hasColumn { try connection.execute("ALTER TABLE \(quotedHistory) ADD COLUMN applied_order INTEGER") }
            let update = try connection.prepare(
                "UPDATE \(quotedHistory) SET applied_order = "
                    + "(SELECT coalesce(max(applied_order), 0) + 1 FROM \(quotedHistory)) WHERE version = ?")
            for row in AppliedMigration.inAppliedOrder(unnumbered) {
                try update.bind([.text(row.version.text)])
                try update.run()
                try update.reset()
            }
            if ownsTransaction { try commitTransaction() }
        } catch {
            if ownsTransaction { try? rollbackTransaction() }
            throw error
        }
    }

    /// Creates the events record (`HistoryEvent`) beside the history table when it does not exist.
    func createEventsTable() throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS \(quotedEventsTable) (
                id INTEGER PRIMARY KEY,
                version TEXT,
                name TEXT NOT NULL,
                event TEXT NOT NULL,
                checksum TEXT,
                occurred_at TEXT NOT NULL,
                by_user TEXT NOT NULL,
                database_user TEXT,
                git_commit TEXT,
                detail TEXT
            )
            """)
    }

    public func recordEvent(_ event: HistoryEvent) throws {
        let statement = try connection.prepare(
            """
            INSERT INTO \(quotedEventsTable)
                (version, name, event, checksum, occurred_at, by_user, database_user, git_commit, detail)
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
            """)
        try statement.bind([
            event.version.map { .text($0) } ?? .null, .text(event.name), .text(event.kind.rawValue),
            event.checksum.map { .text($0) } ?? .null, .text(HistoryDate.format(event.at)), .text(event.by),
            event.gitCommit.map { .text($0) } ?? .null, event.detail.map { .text($0) } ?? .null,
        ])
        try statement.run()
    }

    public func historyEvents() throws -> [HistoryEvent] {
        let exists = try connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        try exists.bind([.text(HistoryEvent.tableName(besides: historyTable))])
        guard try exists.step() else { return [] }
        let statement = try connection.prepare(
            """
            SELECT id, version, name, event, checksum, occurred_at, by_user, database_user, git_commit, detail
            FROM \(quotedEventsTable) ORDER BY id
            """)
        var events: [HistoryEvent] = []
        while try statement.step() {
            guard let kind = HistoryEvent.Kind(rawValue: statement.text(3) ?? ""),
                let at = HistoryDate.parse(statement.text(5) ?? "")
            else {
                throw DatabaseError(
                    message: "the events record \(HistoryEvent.tableName(besides: historyTable)) has a row mig cannot "
                        + "read (id \(statement.integer(0))); mig only appends rows it can read: was it edited by hand?"
                )
            }
            events.append(
                HistoryEvent(
                    id: statement.integer(0), version: statement.text(1), name: statement.text(2) ?? "", kind: kind,
                    checksum: statement.text(4), at: at, by: statement.text(6) ?? "",
                    databaseUser: statement.text(7), gitCommit: statement.text(8), detail: statement.text(9)))
        }
        return events
    }
}
