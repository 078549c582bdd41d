/// The rehearsal "copy" of a PostgreSQL database: the real database itself, inside one transaction
/// that is rolled back when the rehearsal is released.
///
/// PostgreSQL's DDL is transactional, so running the plan in a transaction that never commits is an
/// exact rehearsal against the real schema and data, without copying anything. The migrations'
/// own transactions become savepoints. A script that must run outside a transaction
/// (`CREATE INDEX CONCURRENTLY`) cannot run here (`canRunOutsideTransaction`): the runner ends the
/// rehearsal before it.
/// Locks taken by the rehearsal's DDL are held until the rollback, bounded by `lock_timeout`. When
/// every step ran, the runner keeps the rehearsal (`keepShadowCopy()`): it commits instead, which
/// applies the whole plan in one pass.
final class PostgresRehearsal: DatabaseDriver {
    let dialect = Dialect.postgres
    private let driver: PostgresDriver
    private var savepoint = 0
    let canRunOutsideTransaction = false

    init(driver: PostgresDriver) throws {
        self.driver = driver
        // READ WRITE: a dry run's session is read-only by default (`default_transaction_read_only`).
        try driver.execute(sql: "BEGIN READ WRITE")
    }

    /// Whether `keepShadowCopy()` committed the transaction.
    private var kept = false

    deinit {
        if !kept { try? driver.execute(sql: "ROLLBACK") }
    }

    /// Commits what was rehearsed: the plan is then applied, all of it in one transaction.
    func keepShadowCopy() throws -> Bool {
        try driver.execute(sql: "COMMIT")
        kept = true
        return true
    }

    func execute(_ script: Script) throws { try driver.execute(script) }

    func execute(_ statement: SQLStatement, of script: Script) throws { try driver.execute(statement, of: script) }

    func execute(sql: String) throws { try driver.execute(sql: sql) }
    func takeNotices() -> [String] { driver.takeNotices() }

    func beginTransaction() throws {
        savepoint += 1
        try driver.execute(sql: "SAVEPOINT mig_rehearsal_\(savepoint)")
    }

    func commitTransaction() throws {
        try driver.execute(sql: "RELEASE SAVEPOINT mig_rehearsal_\(savepoint)")
        savepoint -= 1
    }

    func rollbackTransaction() throws {
        try driver.execute(sql: "ROLLBACK TO SAVEPOINT mig_rehearsal_\(savepoint)")
        savepoint -= 1
    }

    /// The real run holds the lock already.
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
        throw DatabaseError(message: "a rehearsal cannot be rehearsed")
    }
}
