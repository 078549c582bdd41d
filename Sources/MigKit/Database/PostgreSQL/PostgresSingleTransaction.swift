/// A PostgreSQL database inside one transaction that a whole plan runs in (`mig up
/// --single-transaction`): all of it commits, or none of it.
///
/// PostgreSQL's DDL is transactional, so the plan's migrations run as they would one by one, their
/// own transactions becoming savepoints; `commit()` applies them together, and dropping this without
/// it rolls everything back. Every lock a migration takes is held until then. A script that must run
/// outside a transaction, or that manages its own, cannot run here: the runner refuses such a plan
/// before anything runs.
final class PostgresSingleTransaction: DatabaseDriver {
    let dialect = Dialect.postgres
    private let driver: PostgresDriver
    private var savepoint = 0
    /// Whether `commit()` ended the transaction.
    private var committed = false

    init(driver: PostgresDriver) throws {
        self.driver = driver
        // READ WRITE: a dry run's session is read-only by default (`default_transaction_read_only`).
        try driver.execute(sql: "BEGIN READ WRITE")
    }

    deinit {
        if !committed { try? driver.execute(sql: "ROLLBACK") }
    }

    /// Commits the plan: everything run here is applied at once.
    func commit() throws {
        try driver.execute(sql: "COMMIT")
        committed = true
    }

    func execute(_ script: Script) throws { try driver.execute(script) }

    func execute(_ statement: SQLStatement, of script: Script) throws { try driver.execute(statement, of: script) }

    func execute(sql: String) throws { try driver.execute(sql: sql) }
    func takeNotices() -> [String] { driver.takeNotices() }

    func beginTransaction() throws {
        savepoint += 1
        try driver.execute(sql: "SAVEPOINT mig_migration_\(savepoint)")
    }

    func commitTransaction() throws {
        try driver.execute(sql: "RELEASE SAVEPOINT mig_migration_\(savepoint)")
        savepoint -= 1
    }

    func rollbackTransaction() throws {
        try driver.execute(sql: "ROLLBACK TO SAVEPOINT mig_migration_\(savepoint)")
        savepoint -= 1
    }

    /// The run holds the lock already, on the same session.
    func acquireMigrationLock() throws {}
    func releaseMigrationLock() throws {}

    func ensureHistoryTable() throws { try driver.ensureHistoryTable() }
    func appliedMigrations() throws -> [AppliedMigration] { try driver.appliedMigrations() }
    func recordApplied(_ record: AppliedMigration) throws { try driver.recordApplied(record) }
    func removeAppliedRecord(version: Version) throws { try driver.removeAppliedRecord(version: version) }
    func recordEvent(_ event: HistoryEvent) throws { try driver.recordEvent(event) }
    func historyEvents() throws -> [HistoryEvent] { try driver.historyEvents() }
    func appliedRepeatables() throws -> [AppliedRepeatable] { try driver.appliedRepeatables() }
    func recordRepeatable(_ record: AppliedRepeatable) throws { try driver.recordRepeatable(record) }
    func schemaSnapshot() throws -> SchemaSnapshot { try driver.schemaSnapshot() }

    func makeShadowCopy() throws -> any DatabaseDriver {
        throw DatabaseError(message: "a plan's single transaction has no copy")
    }
}
