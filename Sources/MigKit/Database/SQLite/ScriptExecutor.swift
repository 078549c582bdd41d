internal import CSQLite

/// Runs a migration script one statement at a time, letting `sqlite3_prepare_v2` find where
/// each statement ends (its tail), and knows the file line each statement starts on.
struct ScriptExecutor {
    let connection: SQLiteConnection

    /// Runs every statement; a failure names the script's file and the file line of the failing statement.
    func run(_ script: Script) throws(DatabaseError) {
        // A native string's own NUL-terminated storage, not a copy: a 200 MB seed file is held once.
        let length = script.sql.utf8.count
        var failure: DatabaseError?
        script.sql.withCString { base in
            base.withMemoryRebound(to: UInt8.self, capacity: length + 1) { bytes in
                let buffer = UnsafeBufferPointer(start: bytes, count: length + 1)
                var offset = 0
                var line = 1
                while offset < length {
                    let start = Self.statementStart(in: buffer, from: offset, to: length)
                    line += Self.newlines(in: buffer, from: offset, to: start)
                    guard start < length else { return }
                    var handle: OpaquePointer?
                    var tail: UnsafePointer<CChar>?
                    // -1: read up to the NUL terminator. A byte count without the NUL makes SQLite
                    // copy the whole rest of the script on every call, quadratic in its size.
                    let prepared = sqlite3_prepare_v2(connection.handle, base + start, -1, &handle, &tail)
                    let statement = handle.map { SQLiteStatement(handle: $0, connection: connection) }
                    do throws(DatabaseError) {
                        try connection.check(prepared)
                        try statement?.run()
                    } catch {
                        failure = DatabaseError(
                            message: error.message, code: error.code, path: script.path,
                            line: script.fileLine(forScriptLine: line))
                        return
                    }
                    let end = tail.map { $0 - base } ?? length
                    line += Self.newlines(in: buffer, from: start, to: end)
                    offset = max(end, start + 1)
                }
            }
        }
        if let failure { throw failure }
    }

    /// The offset of the first byte at or after `offset` that is not white space or a comment.
    private static func statementStart(in bytes: UnsafeBufferPointer<UInt8>, from offset: Int, to end: Int) -> Int {
        var index = offset
        while index < end {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D || byte == 0x0C {
                index += 1
            } else if byte == UInt8(ascii: "-"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "-") {
                while index < end, bytes[index] != 0x0A { index += 1 }
            } else if byte == UInt8(ascii: "/"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "*") {
                index += 2
                while index < end,
                    !(bytes[index] == UInt8(ascii: "*") && index + 1 < end && bytes[index + 1] == UInt8(ascii: "/"))
                {
                    index += 1
                }
                index = min(index + 2, end)
            } else {
                return index
            }
        }
        return end
    }

    private static func newlines(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var count = 0
        for index in start..<end where bytes[index] == 0x0A { count += 1 }
        return count
    }
}
