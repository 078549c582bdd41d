extension SQLiteDriver: SchemaDefinitionReading {
    /// The snapshot's lines are exact: `SQLNormalizer` leaves string literals as written.
    public func tableDetails(_ name: String) throws -> [String]? { nil }

    /// SQLite keeps each object's `CREATE` statement as written (with later `ALTER TABLE … ADD
    /// COLUMN`s spliced in) in `sqlite_schema`: that text is the definition.
    public func definition(kind: String, name: String) throws -> String? {
        let statement = try connection.prepare("SELECT sql FROM sqlite_schema WHERE type = ? AND name = ?")
        try statement.bind([.text(kind), .text(name)])
        return try statement.rows { $0.text(0) }.first ?? nil
    }
}
