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
        var body = Array(bytes)
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body.removeFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw InvalidEncoding(line: firstInvalidLine(in: body))
        }
        return text.contains("\r\n") ? text.replacing("\r\n", with: "\n") : text
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

/// Small facts about SQL text that do not need a parser.
enum SQLText {
    /// Whether any line holds something other than white space or a `--` comment.
    static func hasStatements(_ sql: String) -> Bool {
        sql.split(separator: "\n", omittingEmptySubsequences: true).contains { line in
            let trimmed = line.trimmingWhitespace()
            return !trimmed.isEmpty && !trimmed.hasPrefix("--")
        }
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
