/// Turns a file's raw bytes into the text that checksums and parsing see: UTF-8 validated,
/// a leading BOM dropped, CRLF turned into LF.
public enum SourceText {
    /// Why a file's bytes are not usable text.
    public struct InvalidEncoding: Error, Sendable, Equatable {
        /// 1-based line holding the first byte that is not UTF-8.
        public let line: Int
    }

    /// Decodes and normalises `bytes`, or reports the line of the first invalid byte.
    public static func normalize(_ bytes: some Collection<UInt8>) throws(InvalidEncoding) -> String {
        normalizingLineEndings(try decode(bytes))
    }

    /// Decodes `bytes` with a leading BOM dropped, keeping line endings as they are: the SQL of a
    /// migration runs exactly as written (a CRLF inside a string literal stays a CRLF, as with psql).
    public static func decode(_ bytes: some Collection<UInt8>) throws(InvalidEncoding) -> String {
        var body = Array(bytes)
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw InvalidEncoding(line: firstInvalidLine(in: body))
        }
        return text
    }

    /// `text` with every CRLF turned into LF: what checksums see, so they do not depend on line endings.
    public static func normalizingLineEndings(_ text: String) -> String {
        text.containsByte(UInt8(ascii: "\r")) ? text.replacing("\r\n", with: "\n") : text
    }

    /// The 1-based line of the first NUL byte in `text`, if it has one (no database runs SQL past it).
    public static func firstNulLine(in text: String) -> Int? {
        guard let index = text.utf8.firstIndex(of: 0) else { return nil }
        return text.utf8[..<index].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    private static func firstInvalidLine(in bytes: [UInt8]) -> Int {
        var line = 1
        var lineStart = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            if String(validating: bytes[lineStart..<index], as: UTF8.self) == nil { return line }
            line += 1
            lineStart = index + 1
        }
        return line
    }
}

/// What one pass over a script's lines finds out without a SQL parser: whether it holds any
/// SQL beyond comments and white space, and whether a directive takes it out of transactions.
struct ScriptFacts {
    private(set) var hasStatements = false
    private(set) var runsOutsideTransaction = false

    init(_ sql: String) {
        for line in sql.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            switch LineKind(line) {
            case .blank: continue
            case .statement: hasStatements = true
            case .comment:
                let text = String(decoding: line, as: UTF8.self).trimmingWhitespace().lowercased()
                if text == "-- mig:no-transaction" || text == "-- +goose no transaction" { runsOutsideTransaction = true }
            }
        }
    }
}

/// A line of SQL judged by its first characters, on bytes (this runs for every line of every file).
enum LineKind {
    case blank, comment, statement

    init(_ line: some Collection<UInt8>) {
        guard let start = line.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else {
            self = .blank
            return
        }
        let rest = line[start...]
        self = rest.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) ? .comment : .statement
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space.
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
