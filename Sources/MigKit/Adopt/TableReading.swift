import Foundation

/// Reading tables that mig did not create — another migration tool's history table — from a
/// database mig has open.
///
/// `DatabaseDriver` only speaks about mig's own history table; adopting a database needs to look at
/// someone else's, so the two real drivers also offer this, without widening the driver protocol.
public protocol TableReading: AnyObject {
    /// The column names of `table` (`name` or `schema.name`, each part taken literally), in order;
    /// empty when there is no such table.
    func columnNames(ofTable table: String) throws -> [String]
    /// Every row that `sql` (one `SELECT` written by mig, no parameters) returns, as text cells;
    /// `nil` is NULL. Booleans read as SQLite stores them (`1`/`0`) or as PostgreSQL prints them (`t`/`f`).
    func rows(_ sql: String) throws -> [[String?]]
}

/// `schema.table` or `table`, each part quoted: how mig names another tool's table in SQL.
func quotedTableName(_ table: String) -> String {
    table.split(separator: ".", omittingEmptySubsequences: false).map { quoteIdentifier(String($0)) }
        .joined(separator: ".")
}
