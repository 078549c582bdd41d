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

    /// The table's columns in order, lowercased (SQLite compares names without case); nil when
    /// there is no such table.
    func columns(of table: String) -> [String]? {
        guard let statement = try? connection.prepare("SELECT name FROM pragma_table_info(?)"),
            (try? statement.bind([.text(table)])) != nil,
            let names = try? statement.rows({ $0.text(0)?.lowercased() ?? "" }),
            !names.isEmpty
        else { return nil }
        return names
    }
}
