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
    private let history: PostgresHistoryTable
    private let lock: PostgresMigrationLock

    /// Connects to `url` and applies `settings`' timeouts to the session.
    public init(
        url: String, settings: Configuration.Database,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DatabaseError) {
        connection = try PostgresConnection(url: url, connectTimeout: settings.connectTimeout, environment: environment)
        history = PostgresHistoryTable(schema: settings.historySchema, table: settings.historyTable)
        lock =
            settings.lock == "table"
            ? .table(history.lockTable, holder: Self.lockHolder()) : .advisory(history.advisoryKey)
        // A deployer killed mid-statement: the server checks every second that the client is still
        // there and, when not, cancels the statement and frees its locks (PostgreSQL 14 and later).
        if connection.serverVersion >= 140000 {
            try connection.execute("SELECT set_config('client_connection_check_interval', '1s', false)", parameters: [])
        }
        for (name, value) in [("lock_timeout", settings.lockTimeout), ("statement_timeout", settings.statementTimeout)]
        {
            guard let value else { continue }
            do {
                try connection.execute("SELECT set_config($1, $2, false)", parameters: [name, value])
            } catch {
                throw DatabaseError(
                    message: "[database] \(name) = \"\(value)\" is not accepted: \(error.message)",
                    code: error.code, hint: "use a PostgreSQL duration such as \"10s\" or \"5min\"")
            }
        }
    }

    // MARK: - Scripts

    public func execute(_ script: Script) throws {
        do {
            try connection.execute(script.sql)
        } catch {
            throw locate(error, in: script.sql, startingAtLine: 1, of: script)
        }
    }

    public func execute(_ statement: SQLStatement, of script: Script) throws {
        do {
            if case .copyFromStdin(let data) = statement.kind {
                try connection.execute(statement.text, copyData: data)
            } else {
                try connection.execute(statement.text)
            }
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

    public func takeNotices() -> [String] { connection.takeNotices() }

    /// Places a server error on the line of the script's file: from the error position when the
    /// server gave one, else at the start of the statement that failed.
    private func locate(_ failure: PostgresFailure, in sql: String, startingAtLine firstLine: Int, of script: Script)
        -> DatabaseError
    {
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

    public func beginTransaction() throws { connection.beginLazily() }
    public func commitTransaction() throws { try end("COMMIT") }
    public func rollbackTransaction() throws { try end("ROLLBACK") }

    private func end(_ command: String) throws {
        do {
            try connection.endTransaction(command)
        } catch {
            throw error.error
        }
    }

    // MARK: - Lock

    public func acquireMigrationLock() throws { try lock.acquire(on: connection, history: history) }
    public func releaseMigrationLock() throws { try lock.release(on: connection) }

    private static func lockHolder() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    // MARK: - History

    public func ensureHistoryTable() throws { try history.create(on: connection) }
    public func appliedMigrations() throws -> [AppliedMigration] { try history.rows(on: connection) }

    public func recordApplied(_ record: AppliedMigration) throws {
        try history.record(record, on: connection)
        try lock.renew(on: connection)
    }

    public func removeAppliedRecord(version: Version) throws {
        try history.remove(version: version, on: connection)
        try lock.renew(on: connection)
    }

    // MARK: - Schema

    public func schemaSnapshot() throws -> SchemaSnapshot {
        try PostgresSchemaReader(connection: connection, excluding: history.ownTables).snapshot()
    }

    /// This database inside a transaction that is rolled back (see `PostgresRehearsal`).
    public func makeShadowCopy() throws -> any DatabaseDriver {
        try PostgresRehearsal(driver: self)
    }
}
