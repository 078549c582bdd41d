import Foundation

/// Applies migrations to a PostgreSQL database through libpq.
///
/// Scripts go to the server whole with the simple query protocol, so PostgreSQL's own parser splits
/// them; an error is placed on the line of the file from the server's error position, or from the
/// number of statements that had succeeded. Each session gets the configured `lock_timeout` and
/// `statement_timeout`, so a migration waiting behind a long-running query gives up instead of
/// queueing every other query of production behind it.
public final class PostgresDriver: DatabaseDriver {
    public let dialect = Dialect.postgres
    let connection: PostgresConnection
    let history: PostgresHistoryTable
    private let lock: PostgresMigrationLock
    /// mig's own settings (timeouts), applied after connecting and again after each session reset.
    private let sessionSettings: [(String, String)]
    /// The script (path and first line) whose SQL ran on this session since it was last reset (see
    /// `startSession(for:)`).
    private var sessionUsedBy: String?
    /// Whether a transaction `beginTransaction()` started is open: history rows then wait for its
    /// `COMMIT` and go out with it.
    private var inTransaction = false
    /// The connection string as libpq read it, for client programs that connect where this driver
    /// does (`pg_dump` of the rehearsal copy).
    let connectionString: PostgresConnectionString
    /// The database connected to instead of the connection string's, when one was given.
    let databaseOverride: String?
    /// What `acquireMigrationLock()` could not bring up to date, until `takeNotices()` hands it on.
    private var upgradeWarnings: [String] = []
    /// Whether this run holds the migration lock (`acquireMigrationLock()`).
    private var holdsLock = false
    /// The history tables' shape, once read while the lock is held (`historyShape()`).
    private var knownShape: PostgresHistoryTable.Shape?
    /// What this run knows of the history table's rows while it holds the lock.
    private var knowledge = PostgresHistoryKnowledge()

    /// Connects to `url` (to `database` on its server when given) and applies `settings`' timeouts to
    /// the session; with `readOnly`, every transaction of the session is read-only
    /// (`default_transaction_read_only`), so nothing it runs can change the database.
    public init(
        url: String, database: String? = nil, settings: Configuration.Database, readOnly: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DatabaseError) {
        connection = try PostgresConnection(
            url: url, database: database, connectTimeout: settings.connectTimeout, environment: environment)
        connectionString = try PostgresConnectionString(url, environment: environment)
        databaseOverride = database
        var session: [(String, String)] = []
        // A deployer killed mid-statement: the server checks every second that the client is still
        // there and, when not, cancels the statement and frees its locks (PostgreSQL 14 and later).
        if connection.serverVersion >= 140000 { session.append(("client_connection_check_interval", "1s")) }
        if let value = settings.lockTimeout { session.append(("lock_timeout", value)) }
        if let value = settings.statementTimeout { session.append(("statement_timeout", value)) }
        if readOnly { session.append(("default_transaction_read_only", "on")) }
        for (name, value) in session {
            do {
                try connection.execute("SELECT set_config($1, $2, false)", parameters: [name, value])
            } catch {
                throw Self.rejected(name, value, error)
            }
        }
        sessionSettings = session
        // Resolved once, so that a migration's `SET search_path` cannot send mig's history rows elsewhere.
        let currentSchema = try connection.execute("SELECT current_schema()", parameters: []).value(row: 0, column: 0)
        history = PostgresHistoryTable(
            schema: settings.historySchema, table: settings.historyTable, defaultSchema: currentSchema)
        let wait = try Self.seconds(of: settings.lockWait, setting: "lock_wait")
        let lease = try Self.seconds(of: settings.lockLease, setting: "lock_lease")
        let connectTimeout = settings.connectTimeout
        lock = PostgresMigrationLock(
            kind: settings.lock == "table" ? .table(history.lockTable) : .advisory(history.advisoryKey), wait: wait,
            lease: lease,
            connect: {
                try PostgresConnection(
                    url: url, database: database, connectTimeout: connectTimeout, environment: environment)
            })
    }

    /// `[database] name`'s duration in seconds.
    private static func seconds(of value: String, setting name: String) throws(DatabaseError) -> Double {
        guard let duration = DurationSetting.duration(value) else {
            throw DatabaseError(
                message: "[database] \(name) = \"\(value)\" is not a duration",
                hint: "use a duration such as \"90s\", \"10min\" or \"1h\"")
        }
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A session setting (`lock_timeout`, `statement_timeout`) the server refused.
    private static func rejected(_ name: String, _ value: String, _ error: DatabaseError) -> DatabaseError {
        DatabaseError(
            message: "[database] \(name) = \"\(value)\" is not accepted: \(error.message)",
            code: error.code, hint: "use a PostgreSQL duration such as \"10s\" or \"5min\"")
    }

    // MARK: - Scripts

    public func execute(_ script: Script) throws {
        try startSession(for: script)
        do {
            try connection.execute(script.sql)
        } catch {
            throw locate(error, in: script.sql, startingAtLine: 1, of: script)
        }
    }

    public func execute(_ statement: SQLStatement, of script: Script) throws {
        try startSession(for: script)
        let copyData: String? = if case .copyFromStdin(let data) = statement.kind { data } else { nil }
        do {
            try connection.execute(statement.text, copyData: copyData)
        } catch {
            throw locate(error, in: statement.text, startingAtLine: statement.startLine, of: script)
        }
    }

    public func execute(sql: String) throws {
        do {
            try connection.execute(sql)
        } catch {
            throw error.error
        }
    }

    public func takeNotices() -> [String] {
        defer { upgradeWarnings = [] }
        return upgradeWarnings.map { "WARNING: \($0)" } + connection.takeNotices()
    }

    // MARK: - Session state

    /// Before the first statement of each script after the first: back to the session as it was when
    /// mig connected, so that what one migration set (`search_path`, `role`, temporary tables,
    /// prepared statements) cannot change what the next one does, however deploys are batched.
    /// This is `DISCARD ALL` without its `pg_advisory_unlock_all()`, which would drop the migration
    /// lock. Usually the transaction of the script before did it already, just before its `COMMIT`
    /// (`commitTransaction()`); otherwise (its transaction failed, or it ran outside one) it runs
    /// here, in a message of its own, so that the script's text is read with the session's own
    /// settings (`client_encoding`, `standard_conforming_strings`), not the last script's.
    private func startSession(for script: Script) throws {
        let key = "\(script.path):\(script.startLine)"
        if let used = sessionUsedBy, used != key {
            try execute(sql: sessionReset.map { $0 + ";" }.joined())
        }
        sessionUsedBy = key
    }

    /// `sessionResetStatements` and mig's own settings after them.
    private var sessionReset: [String] {
        Self.sessionResetStatements
            + sessionSettings.map { name, value in
                "SELECT set_config(\(inlineLiteral(name)), \(inlineLiteral(value)), false)"
            }
    }

    /// Ends the session while `body` runs (PostgreSQL copies a database only when no one is
    /// connected to it), then connects again with mig's settings.
    func closingSession(during body: () throws -> Void) throws {
        try connection.closed(during: body)
        sessionUsedBy = nil
        for (name, value) in sessionSettings {
            try connection.execute("SELECT set_config($1, $2, false)", parameters: [name, value])
        }
    }

    private static let sessionResetStatements = [
        "CLOSE ALL", "SET SESSION AUTHORIZATION DEFAULT", "RESET ALL", "DEALLOCATE ALL", "UNLISTEN *",
        "DISCARD PLANS", "DISCARD TEMP", "DISCARD SEQUENCES",
    ]

    /// Places a server error on the line of the script's file: from the error position when the
    /// server gave one, else at the start of the statement that failed.
    private func locate(_ failure: PostgresFailure, in sql: String, startingAtLine firstLine: Int, of script: Script)
        -> DatabaseError
    {
        // mig's own statements sent before the script failed: nothing of the script ran.
        guard !failure.inPrefix else { return failure.error }
        let line: Int
        if let position = failure.position {
            line = firstLine + Self.newlines(in: sql, beforeCharacter: position)
        } else {
            let statements = (try? PostgresSQLReader().read(sql).statements) ?? []
            let index = min(failure.completedStatements, statements.count - 1)
            line = firstLine - 1 + (index >= 0 ? statements[index].startLine : 1)
        }
        return failure.error.located(path: script.path, line: script.fileLine(forScriptLine: line))
    }

    /// How many line breaks come before the 1-based character `position` (PostgreSQL counts
    /// characters, not bytes).
    static func newlines(in sql: String, beforeCharacter position: Int) -> Int {
        sql.unicodeScalars.prefix(max(position - 1, 0)).reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
    }

    // MARK: - Transactions

    /// The `BEGIN` goes out with the transaction's first statement.
    public func beginTransaction() throws {
        connection.beginLazily()
        inTransaction = true
    }

    /// Sends the history rows written in the transaction, the session reset when a script ran in
    /// it (`startSession(for:)`), and `COMMIT`, in one message.
    public func commitTransaction() throws {
        let resets = inTransaction && sessionUsedBy != nil
        if resets { sessionReset.forEach(connection.deferUntilEnd) }
        do {
            try end("COMMIT")
        } catch {
            knowledge.rolledBack()
            throw error
        }
        knowledge.committed()
        if resets { sessionUsedBy = nil }
    }

    public func maySharePlanTransactions() throws -> Bool {
        let deferrable = try connection.execute(
            "SELECT EXISTS (SELECT FROM pg_constraint WHERE condeferrable) OR EXISTS (SELECT FROM pg_trigger WHERE tgdeferrable)",
            parameters: [])
        return deferrable.value(row: 0, column: 0) == "f"
    }

    /// The session reset (as `commitTransaction()` sends it before `COMMIT`), then `SET CONSTRAINTS ALL
    /// IMMEDIATE`, which checks at once what was deferred, with the reset session as at a commit: in
    /// a message of their own, so that the next script is read with the session's own settings.
    public func checkDeferredConstraints() throws {
        let reset = sessionUsedBy != nil ? sessionReset : []
        try execute(sql: (reset + ["SET CONSTRAINTS ALL IMMEDIATE"]).map { $0 + ";" }.joined())
        sessionUsedBy = nil
    }

    public var isConnected: Bool { connection.isConnected }

    /// What a script set for its session outlives the rollback (prepared statements, `currval`): the
    /// next script resets the session, even when it is the same one run again (a retry).
    public func rollbackTransaction() throws {
        knowledge.rolledBack()
        if sessionUsedBy != nil { sessionUsedBy = Self.sessionUsedByRolledBack }
        try end("ROLLBACK")
    }

    /// The `sessionUsedBy` of a session whose transaction was rolled back: no script's key.
    private static let sessionUsedByRolledBack = "\u{0}rolled back"

    private func end(_ command: String) throws {
        inTransaction = false
        do {
            try connection.endTransaction(command)
        } catch {
            throw error.error
        }
    }

    // MARK: - Lock

    /// Takes the lock, then brings a history table an earlier mig created up to date in a short
    /// transaction of its own (`PostgresHistoryTable.upgrade(on:)`): only write paths take the lock, so
    /// a dry run or a read never alters it. What this role may not do comes back as notices.
    public func acquireMigrationLock() throws {
        try lock.acquire(on: connection, history: history)
        do {
            upgradeWarnings += try history.upgrade(on: connection)
        } catch {
            try? lock.release(on: connection)
            throw error
        }
        knownShape = nil
        knowledge.forget()
        holdsLock = true
    }

    public func releaseMigrationLock() throws {
        holdsLock = false
        knownShape = nil
        knowledge.forget()
        try lock.release(on: connection)
    }

    // MARK: - History

    public func ensureHistoryTable() throws {
        knownShape = nil
        try history.create(on: connection)
        if holdsLock && !inTransaction { try learnEventIDs() }
    }

    /// Under the lock, outside a transaction: the highest event id, so that events need no look for it.
    private func learnEventIDs() throws {
        guard try historyShape().hasEvents, let highest = try history.highestEventID(on: connection) else { return }
        knowledge.learnEvents(highestID: highest)
    }

    public func appliedMigrations() throws -> [AppliedMigration] {
        let rows = try history.rows(on: connection)
        if holdsLock && !inTransaction {
            knowledge.learn(rows)
            try learnEventIDs()
        }
        return rows
    }

    public func recordApplied(_ record: AppliedMigration) throws {
        try lock.checkHeld(on: connection)
        let spelling = record.version.text
        let ordered = try historyShape().hasAppliedOrder
        let (otherSpellings, order) = knowledge.plan(for: spelling)
        try write(
            history.insertion(
                of: record, ordered: ordered, otherSpellings: otherSpellings, order: ordered ? order : nil))
        knowledge.wrote(spelling, order: ordered ? order : nil, inTransaction: inTransaction)
    }

    public func removeAppliedRecord(version: Version) throws {
        try lock.checkHeld(on: connection)
        try write(history.removal(of: version))
        knowledge.removed()
    }

    public func recordEvent(_ event: HistoryEvent) throws {
        try lock.checkHeld(on: connection)
        guard try historyShape().hasEvents else { return }
        let id = knowledge.nextEventID()
        try write(history.insertion(of: event, id: id))
        knowledge.wroteEvent(id: id, inTransaction: inTransaction)
    }

    /// Runs mig's own history statement; in a transaction `beginTransaction()` opened, it goes out
    /// with the `COMMIT` (no round trip of its own), so a failure shows when committing.
    private func write(_ sql: String) throws {
        if inTransaction { connection.deferUntilEnd(sql) } else { try execute(sql: sql) }
    }

    /// The history tables' shape: read once while the migration lock is held, when nothing else
    /// alters them (the upgrade and `ensureHistoryTable()` come first and read it anew); else on
    /// every write.
    private func historyShape() throws -> PostgresHistoryTable.Shape {
        if let knownShape { return knownShape }
        let shape = try history.shape(on: connection)
        if holdsLock { knownShape = shape }
        return shape
    }

    public func historyEvents() throws -> [HistoryEvent] { try history.events(on: connection) }

    public func appliedRepeatables() throws -> [AppliedRepeatable] { try history.repeatables(on: connection) }

    public func recordRepeatable(_ record: AppliedRepeatable) throws {
        try lock.checkHeld(on: connection)
        try history.record(record, on: connection)
    }

    // MARK: - Schema

    public func schemaSnapshot() throws -> SchemaSnapshot {
        try PostgresSchemaReader(connection: connection, excluding: history.ownTables).snapshot()
    }

    /// The server's `server_version_num` (150018 for 15.18).
    var serverVersion: Int { connection.serverVersion }

    /// A PostgreSQL database cannot copy itself: its rehearsal copy is made in a shadow server
    /// (`PostgresRehearsalSource`).
    public func makeShadowCopy() throws -> any DatabaseDriver {
        throw DatabaseError(
            message: "a PostgreSQL database is rehearsed on a copy in a shadow server, and none was given",
            hint: "pass --no-shadow to apply without a rehearsal")
    }

    /// This database inside one transaction that a whole plan runs in (`mig up --single-transaction`).
    func beginSingleTransaction() throws -> PostgresSingleTransaction {
        try PostgresSingleTransaction(driver: self)
    }
}
