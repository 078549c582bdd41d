internal import CSQLite

/// An empty in-memory SQLite database the lint replays migrations into, so that SQLite itself
/// says which columns a table has at any point of the chain (a table rebuild's old and new
/// table), rather than a reading of `CREATE TABLE` text by hand.
final class SQLiteScratchDatabase {
    private let connection: SQLiteConnection

    init() throws(DatabaseError) {
        connection = try SQLiteConnection(path: ":memory:", flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
    }

    /// Runs one statement; false when SQLite refuses it (the shadow replay reports that).
    @discardableResult
    func run(_ sql: String) -> Bool {
        (try? connection.execute(sql)) != nil
    }

    /// A column as a rebuild sees it: a generated one is computed, never copied.
    struct Column: Equatable {
        let name: String
        let isGenerated: Bool
    }

    /// The table's columns in order, generated ones included and names lowercased (SQLite
    /// compares names without case); nil when there is no such table. `pragma_table_xinfo`
    /// rather than `pragma_table_info`, which leaves generated columns out; a virtual table's
    /// hidden columns (hidden 1) are not the table's own.
    func columns(of table: String) -> [Column]? {
        guard
            let statement = try? connection.prepare(
                "SELECT name, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid"),
            (try? statement.bind([.text(table)])) != nil,
            let columns = try? statement.rows({
                Column(name: $0.text(0)?.lowercased() ?? "", isGenerated: $0.integer(1) >= 2)
            }),
            !columns.isEmpty
        else { return nil }
        return columns
    }
}
