import Foundation

extension PostgresDriver: TableReading {
    public func columnNames(ofTable table: String) throws -> [String] {
        try connection.execute(
            """
            SELECT attname FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """, parameters: [quotedTableName(table)]
        ).rows.map { $0[0] ?? "" }
    }

    public func rows(_ sql: String) throws -> [[String?]] {
        try connection.execute(sql, parameters: []).rows
    }
}
