internal import CSQLite
import Foundation

/// `SQLITE_TRANSIENT` is a C macro casting -1 to a destructor pointer, which Swift cannot import:
/// it tells SQLite to copy a bound value before the bind call returns.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// The one owner of a `sqlite3` connection handle, closed in `deinit`.
///
/// Statements hold their connection, so every statement is finalised before the connection
/// closes. Not `Sendable`: a connection is used from one thread at a time.
final class SQLiteConnection {
    let handle: OpaquePointer

    /// Opens `path` (a file path or `:memory:`) with `sqlite3_open_v2`'s `flags`.
    init(path: String, flags: Int32) throws(DatabaseError) {
        _ = Self.configured
        var opened: OpaquePointer?
        // No connection mutex: a connection is used from one thread at a time (SQLite's multi-thread mode),
        // and its lock and unlock around every call were a tenth of a replay.
        let result = sqlite3_open_v2(path, &opened, flags | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOMUTEX, nil)
        guard result == SQLITE_OK, let opened else {
            // "Whether or not an error occurs when it is opened, resources associated with the
            // database connection handle should be released by passing it to sqlite3_close()."
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(result))
            sqlite3_close_v2(opened)
            throw DatabaseError(message: message, code: String(result))
        }
        handle = opened
    }

    /// SQLite's process-wide settings, made once before the first connection: no memory statistics
    /// (mig reads none), so allocations take no global lock.
    private static let configured: Void = { _ = mig_sqlite3_disable_memory_statistics() }()

    /// A folder removed, with everything in it, once the connection is closed (a rehearsal copy's).
    var removesOnClose: String?

    deinit {
        sqlite3_close_v2(handle)
        if let removesOnClose { try? FileManager.default.removeItem(atPath: removesOnClose) }
    }

    /// Turns a result code into a thrown `DatabaseError` carrying `sqlite3_errmsg`, read at once;
    /// `SQLITE_OK`, `SQLITE_ROW` and `SQLITE_DONE` pass through.
    @discardableResult
    func check(_ result: Int32) throws(DatabaseError) -> Int32 {
        switch result {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE:
            return result
        default:
            throw DatabaseError(
                message: String(cString: sqlite3_errmsg(handle)), code: String(sqlite3_extended_errcode(handle)))
        }
    }

    /// Runs SQL without parameters or results, statement by statement.
    func execute(_ sql: String) throws(DatabaseError) {
        try check(sqlite3_exec(handle, sql, nil, nil, nil))
    }

    /// Prepares one statement of SQL that mig wrote.
    func prepare(_ sql: String) throws(DatabaseError) -> SQLiteStatement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil))
        return SQLiteStatement(handle: statement!, connection: self)
    }

    /// Whether the main database was opened read-only (SQLite falls back to read-only without an
    /// error when a file cannot be written).
    var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Copies this database's whole content into `target` with the online backup API.
    func copy(into target: SQLiteConnection) throws(DatabaseError) {
        guard let backup = sqlite3_backup_init(target.handle, "main", handle, "main") else {
            // "If an error occurs within sqlite3_backup_init(), then NULL is returned and an error
            // code and error message are stored in the destination database connection."
            try target.check(sqlite3_errcode(target.handle))
            throw DatabaseError(message: "SQLite could not start copying the database")
        }
        let stepped = sqlite3_backup_step(backup, -1)
        // sqlite3_backup_finish frees the backup object whatever happened; errors show on the target.
        let finished = sqlite3_backup_finish(backup)
        if stepped != SQLITE_DONE { try target.check(stepped) }
        try target.check(finished)
    }

    /// The main database's pages as one byte image (`sqlite3_serialize`); empty for a database with no pages.
    func serialized() -> Data {
        var size: sqlite3_int64 = 0
        guard let bytes = sqlite3_serialize(handle, "main", &size, 0) else { return Data() }
        defer { sqlite3_free(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }

    /// Replaces the main database's content with `image` (`sqlite3_deserialize`), in memory, resizable.
    func deserialize(_ image: Data) throws(DatabaseError) {
        guard let buffer = sqlite3_malloc64(sqlite3_uint64(image.count))?.assumingMemoryBound(to: UInt8.self) else {
            throw DatabaseError(message: "SQLite could not allocate \(image.count) bytes for a shadow snapshot")
        }
        image.copyBytes(to: buffer, count: image.count)
        // With FREEONCLOSE SQLite owns the buffer from here, also when the call fails.
        try check(
            sqlite3_deserialize(
                handle, "main", buffer, sqlite3_int64(image.count), sqlite3_int64(image.count),
                UInt32(SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE)))
    }
}

/// The one owner of a prepared `sqlite3_stmt`, finalised in `deinit`; it keeps its connection alive.
final class SQLiteStatement {
    let handle: OpaquePointer
    let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds the values to `?` parameters 1, 2, … — every value goes in as a parameter, never as text.
    func bind(_ values: [SQLiteValue]) throws(DatabaseError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .text(let text): try connection.check(sqlite3_bind_text(handle, index, text, -1, sqliteTransient))
            case .integer(let number): try connection.check(sqlite3_bind_int64(handle, index, number))
            case .null: try connection.check(sqlite3_bind_null(handle, index))
            }
        }
    }

    /// Advances to the next row; `false` once done.
    func step() throws(DatabaseError) -> Bool {
        try connection.check(sqlite3_step(handle)) == SQLITE_ROW
    }

    /// Makes the statement ready to run again (with new bindings).
    func reset() throws(DatabaseError) {
        try connection.check(sqlite3_reset(handle))
    }

    /// Steps until done, ignoring any rows.
    func run() throws(DatabaseError) {
        while try step() {}
    }

    func text(_ column: Int32) -> String? {
        sqlite3_column_text(handle, column).map { String(cString: $0) }
    }

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// Feeds the column's text (no copy into a `String`) and its length to `hasher`.
    func hash(_ column: Int32, into hasher: inout Hasher) {
        let count = Int(sqlite3_column_bytes(handle, column))
        hasher.combine(count)
        guard let text = sqlite3_column_text(handle, column) else { return }
        hasher.combine(bytes: UnsafeRawBufferPointer(start: text, count: count))
    }

    /// Every row, each read by `row`.
    func rows<Row>(_ row: (SQLiteStatement) -> Row) throws(DatabaseError) -> [Row] {
        var rows: [Row] = []
        while try step() { rows.append(row(self)) }
        return rows
    }
}

/// A value bound to a statement parameter.
enum SQLiteValue {
    case text(String)
    case integer(Int64)
    case null
}
