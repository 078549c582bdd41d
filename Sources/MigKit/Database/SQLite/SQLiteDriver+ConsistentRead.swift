extension SQLiteDriver {
    /// One deferred transaction: SQLite takes its read snapshot at the first `SELECT` and keeps it
    /// until `COMMIT`, so a writer on another connection is not seen half-way.
    public func readingConsistently<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN DEFERRED")
        let result: T
        do {
            result = try body()
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
        try connection.execute("COMMIT")
        return result
    }
}
