/// Reads SQLite scripts: statements end where `sqlite3_complete()` (what the `sqlite3` shell
/// uses) says they do — at a `;` outside strings, quoted names and comments, except inside the
/// `BEGIN … END` body of a `CREATE TRIGGER` — ported to track statement starts and lines.
///
/// SQLite's comments do not nest, and an unterminated `/*` runs to the end of the script, as in
/// SQLite. Anything else SQLite rejects is left to SQLite, which names the line when it runs.
public struct SQLiteSQLReader: SQLReader {
    public init() {}

    /// `sqlite3_complete()`'s token classes, numbered as its transition table's columns.
    private enum Token: Int {
        case semicolon = 0
        case whiteSpace
        case other
        case explain
        case create
        case temp
        case trigger
        case end
    }

    /// `sqlite3_complete()`'s state machine: `transitions[state][token]`. State 1 is "after a complete
    /// statement"; 5–7 are inside a trigger body.
    private static let transitions: [[Int]] = [
        [1, 0, 2, 3, 4, 2, 2, 2],
        [1, 1, 2, 3, 4, 2, 2, 2],
        [1, 2, 2, 2, 2, 2, 2, 2],
        [1, 3, 3, 2, 4, 2, 2, 2],
        [1, 4, 2, 2, 2, 4, 5, 2],
        [6, 5, 5, 5, 5, 5, 5, 5],
        [6, 6, 5, 5, 5, 5, 5, 7],
        [1, 7, 5, 5, 5, 5, 5, 5],
    ]

    public func read(_ sql: String) throws(SQLReadError) -> SQLScript {
        let text = SQLText(sql)
        let bytes = text.bytes
        var statements: [SQLStatement] = []
        var state = 0
        var start: Int?
        var index = 0
        func finish(at end: Int) {
            if let first = start {
                let body = text.trimmedString(first..<end)
                statements.append(
                    SQLStatement(text: body, startLine: text.line(at: first), kind: kind(at: first, of: text)))
            }
            start = nil
        }
        while index < bytes.count {
            let tokenStart = index
            let token = Self.token(in: bytes, at: &index)
            if token != .whiteSpace, token != .semicolon, start == nil { start = tokenStart }
            state = Self.transitions[state][token.rawValue]
            if token == .semicolon, state == 1 { finish(at: tokenStart) }
        }
        finish(at: bytes.count)
        return SQLScript(statements: statements)
    }

    /// Reads the token at `index` and moves past it.
    private static func token(in bytes: ArraySlice<UInt8>, at index: inout Int) -> Token {
        let byte = bytes[index]
        func skip(past terminator: [UInt8]) {
            while index < bytes.count, !bytes[index...].starts(with: terminator) { index += 1 }
            index = min(index + terminator.count, bytes.count)
        }
        switch byte {
        case UInt8(ascii: ";"):
            index += 1
            return .semicolon
        case 0x20, 0x0A, 0x09, 0x0D, 0x0C:
            index += 1
            return .whiteSpace
        case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
            index += 2
            skip(past: Array("*/".utf8))
            return .whiteSpace
        case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
            while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            return .whiteSpace
        case UInt8(ascii: "["):
            index += 1
            skip(past: [UInt8(ascii: "]")])
            return .other
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
            index += 1
            skip(past: [byte])
            return .other
        default:
            guard SQLText.isWordByte(byte) || byte == UInt8(ascii: "$") else {
                index += 1
                return .other
            }
            let wordStart = index
            while index < bytes.count, SQLText.isWordByte(bytes[index]) || bytes[index] == UInt8(ascii: "$") {
                index += 1
            }
            switch String(decoding: bytes[wordStart..<index], as: UTF8.self).lowercased() {
            case "create": return .create
            case "trigger": return .trigger
            case "temp", "temporary": return .temp
            case "end": return .end
            case "explain": return .explain
            default: return .other
            }
        }
    }

    /// `BEGIN`, `COMMIT`, `END` and `ROLLBACK` (not `ROLLBACK TO` a savepoint) control the
    /// transaction; `VACUUM` cannot run inside one. `SAVEPOINT` and `RELEASE` nest in mig's transaction.
    private func kind(at start: Int, of text: SQLText) -> SQLStatement.Kind {
        var words: [String] = []
        var offset = start
        while words.count < 3, offset < text.bytes.count {
            let word = text.word(at: offset)
            guard !word.isEmpty else { break }
            words.append(word.uppercased())
            offset = text.firstToken(in: (offset + word.utf8.count)..<text.bytes.count, nestedComments: false)
        }
        switch words.first {
        case "BEGIN", "COMMIT", "END": return .transactionControl
        case "ROLLBACK":
            let rest = words.dropFirst().drop { $0 == "TRANSACTION" }
            return rest.first == "TO" ? .ordinary : .transactionControl
        case "VACUUM": return .nonTransactional("VACUUM")
        default: return .ordinary
        }
    }
}
