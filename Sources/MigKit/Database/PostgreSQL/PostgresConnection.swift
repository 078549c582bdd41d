internal import CLibPQ
import Foundation

/// One libpq connection (`PGconn`), closed in `deinit`.
///
/// Every call that can fail goes through `check`, which reads libpq's message at once, keeps
/// SQLSTATE, detail, hint and position apart, and removes the password from whatever libpq said.
/// Notices the server sends (`RAISE NOTICE`, `IF NOT EXISTS … skipping`) are collected for the CLI.
final class PostgresConnection {
    private var connection: OpaquePointer
    private let connectionString: PostgresConnectionString
    /// The `PQconnectdbParams` keywords and values, kept to connect again (`closed(during:)`).
    private let parameters: (keywords: [String], values: [String])
    private let noticeBox = NoticeBox()
    /// A `BEGIN` that goes out with the next query (see `beginLazily()`).
    private var pendingBegin = false
    /// mig's own statements that go out with the transaction's `COMMIT`, or before the next query
    /// (see `deferUntilEnd(_:)`).
    private var deferred: [String] = []

    /// Connects, waiting at most `connectTimeout` seconds (unless the URL sets `connect_timeout`), to
    /// `database` on the URL's server instead of the URL's own database when given.
    init(
        url: String, database: String? = nil, connectTimeout: Int,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(DatabaseError) {
        let connectionString = try PostgresConnectionString(url, environment: environment)
        // Keywords before the first `dbname` are defaults that the expanded URL overrides; libpq takes a
        // later `dbname` as a plain database name that overrides the URL's.
        var keywords = ["connect_timeout", "fallback_application_name", "dbname"]
        var values = [String(max(connectTimeout, 1)), "mig", url]
        if let database {
            keywords.append("dbname")
            values.append(database)
        }
        self.connectionString = connectionString
        parameters = (keywords, values)
        guard let connection = Self.start(keywords, values) else {
            throw DatabaseError(message: "cannot connect to PostgreSQL: out of memory")
        }
        self.connection = connection
        // libpq documents that a failed connection object must still be released with PQfinish:
        // `deinit` does it, as it runs when a fully initialised object's initialiser throws.
        if let failure = failure(connecting: connection) { throw failure }
        receiveNotices()
    }

    private static func start(_ keywords: [String], _ values: [String]) -> OpaquePointer? {
        withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
    }

    /// Why `connection` is not connected, or `nil` when it is.
    private func failure(connecting connection: OpaquePointer) -> DatabaseError? {
        guard PQstatus(connection) != CONNECTION_OK else { return nil }
        let message = connectionString.redact(String(cString: PQerrorMessage(connection)))
        return DatabaseError(
            message: "cannot connect to \(connectionString.redacted): \(message.trimmingWhitespace())",
            hint: "check the URL, that the server runs and accepts connections, and the credentials")
    }

    private func receiveNotices() {
        PQsetNoticeReceiver(
            connection,
            { argument, result in
                guard let argument, let result else { return }
                Unmanaged<NoticeBox>.fromOpaque(argument).takeUnretainedValue().receive(result)
            }, Unmanaged.passUnretained(noticeBox).toOpaque())
    }

    /// Ends the session, runs `body` (what needs no one connected to this database: `CREATE
    /// DATABASE … TEMPLATE` of it), then connects again as before; the new session starts with the
    /// server's defaults. Throws `body`'s error, or the new connection's failure (every later query
    /// then fails too).
    func closed(during body: () throws -> Void) throws {
        PQfinish(connection)
        pendingBegin = false
        deferred = []
        var bodyFailure: (any Error)?
        do { try body() } catch { bodyFailure = error }
        guard let fresh = Self.start(parameters.keywords, parameters.values) else {
            preconditionFailure("libpq could not allocate a connection")
        }
        connection = fresh
        if let failure = failure(connecting: fresh) { throw failure }
        receiveNotices()
        if let bodyFailure { throw bodyFailure }
    }

    deinit {
        PQfinish(connection)
    }

    /// Runs `sql` with the simple query protocol (several statements allowed) and returns the last
    /// statement's result. On failure the error carries `completedStatements`: how many of the
    /// string's statements succeeded before the one that failed. `copyData` is what a
    /// `COPY … FROM STDIN` reads (as psql sends a file's inline data); a `COPY` without it reads
    /// nothing and fails, and a `COPY … TO STDOUT`'s output is discarded, so no call waits forever.
    ///
    /// A pending `BEGIN` and deferred statements go out in the same message, before `sql`: one round
    /// trip for all. A failure among them is reported as such (`PostgresFailure.inPrefix`), and
    /// nothing of `sql` ran.
    @discardableResult
    func execute(_ sql: String, copyData: String? = nil) throws(PostgresFailure) -> PostgresResult {
        let before = (pendingBegin ? ["BEGIN"] : []) + deferred
        pendingBegin = false
        deferred = []
        let head = before.map { $0 + ";\n" }.joined()
        let headLength = head.unicodeScalars.count
        guard PQsendQuery(connection, head + sql) == 1 else {
            throw PostgresFailure(error: connectionError(), position: nil, completedStatements: 0)
        }
        // The statements and characters sent before `sql` do not count.
        var completed = -before.count
        var last: PostgresResult?
        var failure: (error: ServerError, inPrefix: Bool)?
        var copyData = copyData
        while let raw = PQgetResult(connection) {
            let result = PostgresResult(raw)
            switch result.status {
            case PGRES_COPY_IN:
                sendCopyData(copyData)
                copyData = nil
                continue
            case PGRES_COPY_OUT:
                discardCopyOutput()
                continue
            default:
                break
            }
            if failure == nil {
                // A syntax error stops the whole string before anything ran: its position says where.
                if let error = check(result) {
                    failure = (error, completed < 0 && (error.position.map { $0 <= headLength } ?? true))
                } else {
                    completed += 1
                }
            }
            last = result
        }
        if let failure {
            throw PostgresFailure(
                error: failure.error.error,
                position: failure.inPrefix ? nil : failure.error.position.map { max($0 - headLength, 1) },
                completedStatements: max(completed, 0), inPrefix: failure.inPrefix)
        }
        guard let last else { throw PostgresFailure(error: connectionError(), position: nil, completedStatements: 0) }
        return last
    }

    /// Answers the server's `COPY … FROM STDIN`: the data, then the end of it; without data, a
    /// refusal that makes the statement fail.
    private func sendCopyData(_ data: String?) {
        guard let data else {
            PQputCopyEnd(connection, "mig has no inline data for this COPY … FROM STDIN")
            return
        }
        let bytes = Array(data.utf8)
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(connection, $0.baseAddress, Int32(buffer.count)) }
        }
        PQputCopyEnd(connection, sent == 1 ? nil : "mig could not send the COPY data")
    }

    /// Reads and drops a `COPY … TO STDOUT`'s rows until the server ends them.
    private func discardCopyOutput() {
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(connection, &buffer, 0) >= 0 {
            if let row = buffer { PQfreemem(row) }
            buffer = nil
        }
    }

    /// Runs one statement with bound text parameters (`$1`, `$2`, …; `nil` is NULL).
    @discardableResult
    func execute(_ sql: String, parameters: [String?]) throws(DatabaseError) -> PostgresResult {
        if pendingBegin || !deferred.isEmpty {
            do {
                try execute("")
            } catch {
                throw error.error
            }
        }
        let raw = withOptionalCStrings(parameters) { pointers in
            PQexecParams(connection, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard let raw else { throw connectionError() }
        let result = PostgresResult(raw)
        if let failure = check(result) { throw failure.error }
        return result
    }

    /// Whether the server has not ended the connection.
    var isConnected: Bool { PQstatus(connection) == CONNECTION_OK }

    /// Starts a transaction without a round trip of its own: the `BEGIN` travels with the next
    /// query (a migration's script).
    func beginLazily() { pendingBegin = true }

    /// Queues `sql` (one statement of mig's own, its result not needed: a history row) to go out
    /// with the open transaction's `COMMIT`, in the same message, or before the next query if one
    /// comes first; a `ROLLBACK` drops it. Only for a transaction `beginLazily()` started.
    func deferUntilEnd(_ sql: String) { deferred.append(sql) }

    /// Sends `COMMIT` (with the deferred statements before it) or `ROLLBACK`; nothing when the
    /// transaction's `BEGIN` was never sent and nothing was deferred. A deferred statement that
    /// fails leaves the transaction open and failed: roll it back.
    func endTransaction(_ command: String) throws(PostgresFailure) {
        if command == "ROLLBACK" { deferred = [] }
        guard !(pendingBegin && deferred.isEmpty) else {
            pendingBegin = false
            return
        }
        try execute(command)
    }

    /// The connection as it may be shown (see `PostgresConnectionString.redacted`).
    var redactedURL: String { connectionString.redacted }

    /// The server's version as a number (`150004` for 15.4).
    var serverVersion: Int { Int(PQserverVersion(connection)) }

    /// The notices received since the last call.
    func takeNotices() -> [String] { noticeBox.take() }

    /// The error in `result`, if it holds one, with the 1-based character position in the query
    /// string that the server reported.
    private func check(_ result: PostgresResult) -> ServerError? {
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return nil
        default:
            let message = result.errorField(MIG_PG_DIAG_MESSAGE_PRIMARY) ?? String(cString: PQerrorMessage(connection))
            let error = DatabaseError(
                message: connectionString.redact(message.trimmingWhitespace()),
                code: result.errorField(MIG_PG_DIAG_SQLSTATE),
                detail: result.errorField(MIG_PG_DIAG_MESSAGE_DETAIL).map(connectionString.redact),
                hint: result.errorField(MIG_PG_DIAG_MESSAGE_HINT).map(connectionString.redact))
            return ServerError(
                error: error, position: result.errorField(MIG_PG_DIAG_STATEMENT_POSITION).flatMap { Int($0) })
        }
    }

    private func connectionError() -> DatabaseError {
        DatabaseError(
            message: connectionString.redact(String(cString: PQerrorMessage(connection)).trimmingWhitespace()))
    }
}

/// A failed `PostgresConnection.execute(_:)`: the server's error, where in the string it was, and
/// how many of the string's statements had succeeded.
struct PostgresFailure: Error {
    let error: DatabaseError
    /// 1-based character offset in the query string (`PG_DIAG_STATEMENT_POSITION`), when given.
    let position: Int?
    let completedStatements: Int
    /// Whether a statement sent before the query string failed (a deferred one, or the prefix), so
    /// that none of the string ran.
    var inPrefix = false
}

private struct ServerError {
    let error: DatabaseError
    let position: Int?
}

/// One `PGresult`, cleared in `deinit`.
final class PostgresResult {
    private let result: OpaquePointer

    init(_ result: OpaquePointer) { self.result = result }

    deinit { PQclear(result) }

    fileprivate var status: ExecStatusType { PQresultStatus(result) }

    fileprivate func errorField(_ field: Int32) -> String? {
        PQresultErrorField(result, field).map { String(cString: $0) }
    }

    var rowCount: Int { Int(PQntuples(result)) }

    /// The text of a cell; `nil` for NULL.
    func value(row: Int, column: Int) -> String? {
        guard PQgetisnull(result, Int32(row), Int32(column)) == 0 else { return nil }
        return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    /// Every row as text cells.
    var rows: [[String?]] {
        let columns = Int(PQnfields(result))
        return (0..<rowCount).map { row in (0..<columns).map { value(row: row, column: $0) } }
    }
}

/// Collects notices from libpq's notice receiver callback, which gets a raw pointer to it.
private final class NoticeBox {
    private var notices: [String] = []

    func receive(_ result: OpaquePointer) {
        let severity = PQresultErrorField(result, MIG_PG_DIAG_SEVERITY).map { String(cString: $0) } ?? "NOTICE"
        let message = PQresultErrorField(result, MIG_PG_DIAG_MESSAGE_PRIMARY).map { String(cString: $0) } ?? ""
        notices.append("\(severity): \(message)")
    }

    func take() -> [String] {
        defer { notices = [] }
        return notices
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result)
    -> Result
{
    withOptionalCStrings(strings.map { Optional($0) } + [nil], body)
}

private func withOptionalCStrings<Result>(
    _ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
) -> Result {
    let copies = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
