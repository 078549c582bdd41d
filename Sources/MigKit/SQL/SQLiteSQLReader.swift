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

    /// `sqlite3_complete()`'s state machine: `transitions[state * 8 + token]`. State 1 is "after a complete
    /// statement"; 5–7 are inside a trigger body.
    private static let transitions: [Int] = [
        1, 0, 2, 3, 4, 2, 2, 2,
        1, 1, 2, 3, 4, 2, 2, 2,
        1, 2, 2, 2, 2, 2, 2, 2,
        1, 3, 3, 2, 4, 2, 2, 2,
        1, 4, 2, 2, 2, 4, 5, 2,
        6, 5, 5, 5, 5, 5, 5, 5,
        6, 6, 5, 5, 5, 5, 5, 7,
        1, 7, 5, 5, 5, 5, 5, 5,
    ]

    public func read(_ sql: String) throws(SQLReadError) -> SQLScript {
        let text = SQLText(sql)
        var statements: [SQLStatement] = []
        func finish(_ range: Range<Int>) {
            statements.append(
                SQLStatement(
                    source: text.trimmed(range), startLine: text.line(at: range.lowerBound),
                    kind: kind(at: range.lowerBound, of: text)))
        }
        text.terminated.withUnsafeBufferPointer { buffer in
            let bytes = UnsafeBufferPointer(rebasing: buffer[..<text.bytes.count])
            var state = 0
            var start: Int?
            var index = 0
            while index < bytes.count {
                let tokenStart = index
                let token = Self.token(in: bytes, at: &index)
                if token != .whiteSpace, token != .semicolon, start == nil { start = tokenStart }
                state = Self.transitions[state &* 8 &+ token.rawValue]
                if token == .semicolon, state == 1, let first = start {
                    finish(first..<tokenStart)
                    start = nil
                }
            }
            if let first = start { finish(first..<bytes.count) }
        }
        return SQLScript(statements: statements)
    }

    /// Reads the token at `index` and moves past it; runs for every byte of every script, on a buffer.
    private static func token(in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> Token {
        let byte = bytes[index]
        let next: UInt8 = index + 1 < bytes.count ? bytes[index + 1] : 0
        /// Moves past the first `terminator` byte (followed by `then`, when given) at or after `index`.
        func skip(past terminator: UInt8, then second: UInt8? = nil) {
            while index < bytes.count {
                if bytes[index] == terminator {
                    guard let second else { break }
                    if index + 1 < bytes.count, bytes[index + 1] == second {
                        index += 1
                        break
                    }
                }
                index += 1
            }
            index = min(index + 1, bytes.count)
        }
        switch byte {
        case UInt8(ascii: ";"):
            index += 1
            return .semicolon
        case 0x20, 0x0A, 0x09, 0x0D, 0x0C:
            index += 1
            return .whiteSpace
        case UInt8(ascii: "/") where next == UInt8(ascii: "*"):
            index += 2
            skip(past: UInt8(ascii: "*"), then: UInt8(ascii: "/"))
            return .whiteSpace
        case UInt8(ascii: "-") where next == UInt8(ascii: "-"):
            while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            return .whiteSpace
        case UInt8(ascii: "["):
            index += 1
            skip(past: UInt8(ascii: "]"))
            return .other
        case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"):
            index += 1
            skip(past: byte)
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
            return keyword(UnsafeBufferPointer(rebasing: bytes[wordStart..<index]))
        }
    }

    /// The keyword token a word is, compared without making a string.
    private static func keyword(_ word: UnsafeBufferPointer<UInt8>) -> Token {
        func equals(_ keyword: StaticString) -> Bool {
            guard word.count == keyword.utf8CodeUnitCount else { return false }
            let letters = UnsafeBufferPointer(start: keyword.utf8Start, count: keyword.utf8CodeUnitCount)
            return zip(word, letters).allSatisfy { $0 | 0x20 == $1 }
        }
        switch word.first.map({ $0 | 0x20 }) {
        case UInt8(ascii: "c") where equals("create"): return .create
        case UInt8(ascii: "t") where equals("trigger"): return .trigger
        case UInt8(ascii: "t") where equals("temp") || equals("temporary"): return .temp
        case UInt8(ascii: "e") where equals("end"): return .end
        case UInt8(ascii: "e") where equals("explain"): return .explain
        default: return .other
        }
    }

    /// `BEGIN`, `COMMIT`, `END` and `ROLLBACK` (not `ROLLBACK TO` a savepoint) control the
    /// transaction; `VACUUM` cannot run inside one. `SAVEPOINT` and `RELEASE` nest in mig's transaction.
    private func kind(at start: Int, of text: SQLText) -> SQLStatement.Kind {
        // Only BEGIN, COMMIT, END, ROLLBACK and VACUUM matter: skip the rest without making strings.
        guard
            [UInt8(ascii: "b"), UInt8(ascii: "c"), UInt8(ascii: "e"), UInt8(ascii: "r"), UInt8(ascii: "v")]
                .contains(text.bytes[start] | 0x20)
        else { return .ordinary }
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
