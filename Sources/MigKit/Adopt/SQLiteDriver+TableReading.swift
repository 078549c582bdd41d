internal import CSQLite
import Foundation

extension SQLiteDriver: TableReading {
    public func columnNames(ofTable table: String) throws -> [String] {
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        let statement = try connection.prepare("SELECT name FROM pragma_table_info(?, ?) ORDER BY cid")
        try statement.bind(parts.count == 2 ? [.text(parts[1]), .text(parts[0])] : [.text(table), .text("main")])
        return try statement.rows { $0.text(0) ?? "" }
    }

    public func rows(_ sql: String) throws -> [[String?]] {
        let statement = try connection.prepare(sql)
        let columns = sqlite3_column_count(statement.handle)
        return try statement.rows { row in (0..<columns).map { row.text($0) } }
    }
}
