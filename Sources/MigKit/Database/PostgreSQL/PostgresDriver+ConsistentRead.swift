extension PostgresDriver {
    /// `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: every query of `body` sees the snapshot
    /// the first one took, and none can write. Rolled back at the end: there is nothing to keep.
    public func readingConsistently<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let result: T
        do {
            result = try body()
        } catch {
            try? run("ROLLBACK")
            throw error
        }
        try run("ROLLBACK")
        return result
    }

    private func run(_ command: String) throws(DatabaseError) {
        do {
            _ = try connection.execute(command)
        } catch {
            throw error.error
        }
    }
}
