internal import CSQLite
import Foundation

/// mig's SQLite database: a file or an in-memory database behind the `DatabaseDriver` protocol.
///
/// Opening sets a busy timeout and leaves foreign keys as SQLite's build has them (off in the
/// standard build, as in the `sqlite3` shell), so mig never enforces or cascades what the
/// user's own connection would not; scripts run statement by statement
/// with SQLite's own splitting (`sqlite3_prepare_v2`'s tail), so triggers, strings and comments
/// need no parser of mig's. The migration lock is a `flock` on a sidecar file `<db>.lock`
/// (see `SQLiteLock`). Not `Sendable`: one connection, one thread.
public final class SQLiteDriver: DatabaseDriver {
    /// Whether a command may change the database.
    public enum Access: Sendable {
        case readWrite
        /// For `status` and `--dry-run`: opened read-only, and a missing file reads as empty.
        case readOnly
    }

    public var dialect: Dialect { .sqlite }
    /// The database file, or `nil` for an in-memory database.
    public let path: String?
    public let historyTable: String
    let connection: SQLiteConnection
    private let lock: SQLiteLock?
    private lazy var schemaReader = SQLiteSchemaReader(connection: connection, historyTable: historyTable)

    /// How long SQLite waits for another connection's write lock before it reports `SQLITE_BUSY`.
    static let busyTimeoutMilliseconds: Int32 = 10_000

    /// Opens the database at `path` (`nil`: a fresh in-memory database); a run waits `lockWait` at
    /// most for another run's migration lock.
    public init(
        path: String?, historyTable: String = "mig_history", access: Access = .readWrite,
        lockWait: Duration = .seconds(600)
    ) throws(DatabaseError) {
        self.historyTable = historyTable
        self.path = path
        let exists = path.map { FileManager.default.fileExists(atPath: $0) } ?? false
        if let path, access == .readWrite {
            let folder = (path as NSString).deletingLastPathComponent
            guard folder.isEmpty || FileManager.default.fileExists(atPath: folder) else {
                throw DatabaseError(message: "\(path): the folder \(folder) does not exist; create it first")
            }
        }
        switch (path, access) {
        case (let path?, .readWrite):
            connection = try Self.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            // SQLite silently opens a file it cannot write read-only; say so before anything is attempted.
            guard !connection.isReadOnly else {
                throw DatabaseError(
                    message: "\(path) is read-only: mig cannot change it; check the file's and its folder's permissions"
                )
            }
            lock = SQLiteLock(databasePath: path, wait: lockWait)
        case (let path?, .readOnly) where exists:
            connection = try Self.open(path, SQLITE_OPEN_READONLY)
            lock = nil
        default:
            // No file yet reads as an empty database, without creating one.
            connection = try Self.open(":memory:", SQLITE_OPEN_READWRITE)
            lock = nil
        }
        try connection.check(sqlite3_busy_timeout(connection.handle, Self.busyTimeoutMilliseconds))
        do {
            // Also the first read of the file: a file that is not a database fails here, unchanged.
            try connection.execute("SELECT count(*) FROM sqlite_schema")
        } catch {
            let file = path ?? ":memory:"
            throw DatabaseError(
                message: "\(file) cannot be read as a SQLite database: \(error.message)", code: error.code)
        }
    }

    private static func open(_ path: String, _ flags: Int32) throws(DatabaseError) -> SQLiteConnection {
        do {
            return try SQLiteConnection(path: path, flags: flags)
        } catch {
            throw DatabaseError(message: "cannot open \(path): \(error.message)", code: error.code)
        }
    }

    /// A fresh, empty in-memory database: a shadow.
    public static func inMemory(historyTable: String = "mig_history") throws(DatabaseError) -> SQLiteDriver {
        try SQLiteDriver(path: nil, historyTable: historyTable)
    }

    // MARK: - Scripts

    public func execute(_ script: Script) throws {
        try ScriptExecutor(connection: connection).run(script)
    }

    public func execute(sql: String) throws {
        try connection.execute(sql)
    }

    /// A statement that SQLite can run inside a transaction runs in one with its history row; the
    /// others (`PRAGMA`, `VACUUM`, `ATTACH`, transaction control…) — the reason a migration runs
    /// outside a transaction — run on their own, and their row follows.
    public func execute(_ statement: SQLStatement, of script: Script, thenRecord record: AppliedMigration) throws {
        guard !connection.isInTransaction, Self.runsInTransaction(statement.text) else {
            try execute(statement, of: script)
            try recordApplied(record)
            return
        }
        try beginTransaction()
        do {
            try execute(statement, of: script)
            try recordApplied(record)
            try commitTransaction()
        } catch {
            try? rollbackTransaction()
            throw error
        }
    }

    /// Statements whose first keyword says they change schema or rows, which SQLite runs the same
    /// inside a transaction as outside one.
    static func runsInTransaction(_ statement: String) -> Bool {
        let keyword = statement.prefix { $0.isLetter }.uppercased()
        return ["CREATE", "DROP", "ALTER", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "SELECT", "REINDEX"]
            .contains(keyword)
    }

    // MARK: - Transactions

    public func beginTransaction() throws {
        // IMMEDIATE takes the write lock now, so a migration never fails half-way on SQLITE_BUSY.
        try connection.execute("BEGIN IMMEDIATE")
    }

    /// A script that sets `foreign_keys` runs as SQLite's table-rebuild recipe asks: foreign keys
    /// off around the transaction (inside it the script's own pragma does nothing), checked
    /// with `PRAGMA foreign_key_check` before the commit, and restored afterwards.
    public func beginTransaction(for script: Script) throws {
        if ForeignKeyPragma.isSet(in: script.sql) {
            let enabled = try connection.prepare("PRAGMA foreign_keys").rows { $0.integer(0) != 0 }.first ?? false
            try connection.execute("PRAGMA foreign_keys = OFF")
            foreignKeysToRestore = enabled
        }
        do {
            try beginTransaction()
        } catch {
            try restoreForeignKeys()
            throw error
        }
    }

    public func commitTransaction() throws {
        if foreignKeysToRestore != nil { try ForeignKeyViolations.check(connection) }
        try connection.execute("COMMIT")
        try restoreForeignKeys()
    }

    public func rollbackTransaction() throws {
        // A failed statement may already have rolled the transaction back (SQLITE_FULL, SQLITE_IOERR…).
        if connection.isInTransaction { try connection.execute("ROLLBACK") }
        try restoreForeignKeys()
    }

    /// The `foreign_keys` setting to put back once the transaction of a script that sets it ends.
    private var foreignKeysToRestore: Bool?

    private func restoreForeignKeys() throws {
        guard let enabled = foreignKeysToRestore else { return }
        foreignKeysToRestore = nil
        try connection.execute("PRAGMA foreign_keys = \(enabled ? "ON" : "OFF")")
    }

    // MARK: - Lock

    public func acquireMigrationLock() throws {
        try lock?.acquire()
    }

    public func releaseMigrationLock() throws {
        lock?.release()
    }

    // MARK: - History

    private var quotedHistoryTable: String { SQLiteSchemaReader.quoted(historyTable) }

    public func ensureHistoryTable() throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS \(quotedHistoryTable) (
                version TEXT NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL,
                execution_ms INTEGER NOT NULL,
                applied_by TEXT NOT NULL,
                git_commit TEXT,
                state TEXT NOT NULL CHECK (state IN ('applied', 'dirty')),
                completed_statements TEXT NOT NULL DEFAULT '',
                applied_order INTEGER
            )
            """)
        try upgradeHistoryTable()
        try createEventsTable()
    }

    private func historyTableExists() throws -> Bool {
        let statement = try connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        try statement.bind([.text(historyTable)])
        return try statement.step()
    }

    public func appliedMigrations() throws -> [AppliedMigration] {
        guard try historyTableExists() else { return [] }
        // A table an earlier mig created has no applied_order until a run upgrades it.
        let order = try historyHasAppliedOrder() ? "applied_order" : "NULL"
        let statement = try connection.prepare(
            """
            SELECT version, name, checksum, applied_at, execution_ms, applied_by, git_commit, state, completed_statements,
                   \(order)
            FROM \(quotedHistoryTable)
            """)
        var records: [AppliedMigration] = []
        while try statement.step() {
            let versionText = statement.text(0) ?? ""
            guard let version = Version(versionText),
                let state = AppliedMigration.State(rawValue: statement.text(7) ?? ""),
                let appliedAt = HistoryDate.parse(statement.text(3) ?? "")
            else {
                throw DatabaseError(
                    message: "the history table \(historyTable) has a row mig cannot read (version '\(versionText)'); "
                        + "was it written by another tool? Point [database] history_table at a table of mig's own")
            }
            records.append(
                AppliedMigration(
                    version: version, name: statement.text(1) ?? "", checksum: statement.text(2) ?? "",
                    appliedAt: appliedAt, executionMilliseconds: Int(statement.integer(4)),
                    appliedBy: statement.text(5) ?? "", gitCommit: statement.text(6), state: state,
                    completedStatements: (statement.text(8) ?? "").split(separator: ",").map(String.init),
                    appliedOrder: statement.text(9).flatMap { Int64($0) }))
        }
        return records.sorted { $0.version < $1.version }
    }

    /// Writes `record` under its own spelling of the version, replacing the row of any other spelling
    /// of it (`1` in the table, `0001` in the file name) as PostgreSQL does: one row per version. A
    /// replaced row keeps its place in the applied order.
    public func recordApplied(_ record: AppliedMigration) throws {
        let spellings = try connection.prepare("SELECT version, applied_order FROM \(quotedHistoryTable)").rows {
            ($0.text(0) ?? "", $0.text(1).flatMap { Int64($0) })
        }
        let others = spellings.filter { $0.0 != record.version.text && Version($0.0) == record.version }
        guard !others.isEmpty else { return try upsert(record, appliedOrder: nil) }
        let ownsTransaction = !connection.isInTransaction
        if ownsTransaction { try beginTransaction() }
        do {
            let delete = try connection.prepare("DELETE FROM \(quotedHistoryTable) WHERE version = ?")
            for (text, _) in others {
                try delete.bind([.text(text)])
                try delete.run()
                try delete.reset()
            }
            try upsert(record, appliedOrder: others.compactMap(\.1).min())
            if ownsTransaction { try commitTransaction() }
        } catch {
            if ownsTransaction { try? rollbackTransaction() }
            throw error
        }
    }

    /// Inserts `record`, or replaces the row of the same text, which keeps its applied order; a new row
    /// gets `appliedOrder`, else one more than the highest.
    private func upsert(_ record: AppliedMigration, appliedOrder: Int64?) throws {
        let statement = try connection.prepare(
            """
            INSERT INTO \(quotedHistoryTable) AS history
                (version, name, checksum, applied_at, execution_ms, applied_by, git_commit, state, completed_statements,
                 applied_order)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,
                    coalesce(?, (SELECT coalesce(max(applied_order), 0) + 1 FROM \(quotedHistoryTable))))
            ON CONFLICT (version) DO UPDATE SET
                name = excluded.name, checksum = excluded.checksum, applied_at = excluded.applied_at,
                execution_ms = excluded.execution_ms, applied_by = excluded.applied_by, git_commit = excluded.git_commit,
                state = excluded.state, completed_statements = excluded.completed_statements,
                applied_order = coalesce(history.applied_order, excluded.applied_order)
            """)
        try statement.bind([
            .text(record.version.text), .text(record.name), .text(record.checksum),
            .text(HistoryDate.format(record.appliedAt)), .integer(Int64(record.executionMilliseconds)),
            .text(record.appliedBy), record.gitCommit.map { .text($0) } ?? .null, .text(record.state.rawValue),
            .text(record.completedStatements.joined(separator: ",")), appliedOrder.map { .integer($0) } ?? .null,
        ])
        try statement.run()
    }

    public func removeAppliedRecord(version: Version) throws {
        // Versions compare by number, so `0003` in the table is the row of a file now named `3_…`.
        let texts = try connection.prepare("SELECT version FROM \(quotedHistoryTable)").rows { $0.text(0) ?? "" }
        let delete = try connection.prepare("DELETE FROM \(quotedHistoryTable) WHERE version = ?")
        for text in texts where Version(text) == version {
            try delete.bind([.text(text)])
            try delete.run()
            try delete.reset()
        }
    }

    private var quotedRepeatablesTable: String {
        SQLiteSchemaReader.quoted(AppliedRepeatable.tableName(besides: historyTable))
    }

    public func appliedRepeatables() throws -> [AppliedRepeatable] {
        let exists = try connection.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
        try exists.bind([.text(AppliedRepeatable.tableName(besides: historyTable))])
        guard try exists.step() else { return [] }
        let statement = try connection.prepare(
            "SELECT name, checksum, applied_at, execution_ms, applied_by, git_commit FROM \(quotedRepeatablesTable) "
                + "ORDER BY name")
        var records: [AppliedRepeatable] = []
        while try statement.step() {
            records.append(
                AppliedRepeatable(
                    name: statement.text(0) ?? "", checksum: statement.text(1) ?? "",
                    appliedAt: HistoryDate.parse(statement.text(2) ?? "") ?? Date(timeIntervalSince1970: 0),
                    executionMilliseconds: Int(statement.integer(3)), appliedBy: statement.text(4) ?? "",
                    gitCommit: statement.text(5)))
        }
        return records
    }

    public func recordRepeatable(_ record: AppliedRepeatable) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS \(quotedRepeatablesTable) (
                name TEXT NOT NULL PRIMARY KEY,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL,
                execution_ms INTEGER NOT NULL,
                applied_by TEXT NOT NULL,
                git_commit TEXT
            )
            """)
        let statement = try connection.prepare(
            """
            INSERT OR REPLACE INTO \(quotedRepeatablesTable)
                (name, checksum, applied_at, execution_ms, applied_by, git_commit)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        try statement.bind([
            .text(record.name), .text(record.checksum), .text(HistoryDate.format(record.appliedAt)),
            .integer(Int64(record.executionMilliseconds)), .text(record.appliedBy),
            record.gitCommit.map { .text($0) } ?? .null,
        ])
        try statement.run()
    }

    // MARK: - Schema and copies

    public func schemaSnapshot() throws -> SchemaSnapshot {
        try schemaReader.snapshot()
    }

    public func schemaDigest() throws -> Int {
        try schemaReader.digest()
    }

    /// A copy of this database (schema, data and history) in a file of a new temporary folder,
    /// made with the backup API: memory stays bounded whatever the database's size, and the copy
    /// reads what other connections committed, WAL content included. The folder — copy, journal,
    /// WAL — is removed when the returned driver is dropped, also after a failure.
    public func makeShadowCopy() throws -> any DatabaseDriver {
        var template = Array(
            (NSTemporaryDirectory() as NSString).appendingPathComponent("mig-rehearsal-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw DatabaseError(
                message: "cannot create a temporary folder for the rehearsal copy in \(NSTemporaryDirectory()): "
                    + "\(String(cString: strerror(errno))); set TMPDIR to a writable folder, or pass --no-shadow")
        }
        let folder = String(cString: created)
        let copy: SQLiteDriver
        do {
            copy = try SQLiteDriver(path: folder + "/rehearsal.db", historyTable: historyTable)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        copy.connection.removesOnClose = folder
        // A throw-away copy needs no durability: no fsync.
        try copy.connection.execute("PRAGMA synchronous = OFF")
        try connection.copy(into: copy.connection)
        return copy
    }

    public func image() throws -> Data? {
        let image = connection.serialized()
        return image.isEmpty ? nil : image
    }

    /// Loads `image` into this in-memory database and reads its schema once, so an image SQLite
    /// cannot read fails here rather than in the middle of a replay.
    public func restore(image: Data) throws -> Bool {
        guard path == nil else { return false }
        try connection.deserialize(image)
        try connection.execute("SELECT count(*) FROM sqlite_schema")
        return true
    }

    /// Writes this database's content into a new file at `path`, stamped with `applicationID`
    /// (`mig shadow --keep`, through `KeptShadowFile`, which decides where that may be).
    public func save(toNewFile path: String, applicationID: Int32) throws {
        let file = try SQLiteDriver(path: path, historyTable: historyTable)
        try connection.copy(into: file.connection)
        try file.execute(sql: "PRAGMA application_id = \(applicationID)")
    }
}

/// The text form of `applied_at`: ISO 8601 in UTC with milliseconds, which also sorts as text.
enum HistoryDate {
    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    static func parse(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
