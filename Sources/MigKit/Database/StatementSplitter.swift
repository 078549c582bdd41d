import Crypto

/// One statement of a script, cut out by `StatementSplitter`.
public struct SQLStatement: Sendable, Hashable {
    /// The statement from its first token up to (not including) its terminating `;`.
    public let text: String
    /// 1-based line of the script on which the statement's first token stands.
    public let startLine: Int

    /// SHA-256 (hex) of `text`: how a dirty migration remembers which statements already ran.
    public var digest: String { Script.checksum(of: text) }
}

/// Splits a PostgreSQL script into statements the way the server's lexer would.
///
/// Needed where a script cannot be sent in one piece: a `no-transaction` migration runs its statements
/// one by one (PostgreSQL wraps a multi-statement string in an implicit transaction, which
/// `CREATE INDEX CONCURRENTLY` refuses), and an error without a position is mapped back to the line
/// of the statement that failed. A `;` ends a statement only outside strings (`'…'`, `E'…'` with
/// backslash escapes, `$tag$…$tag$`), quoted identifiers (`"…"`), comments (`--`, nested `/* */`)
/// goose's `-- +goose StatementBegin` … `-- +goose StatementEnd` blocks, and the `BEGIN … END` body
/// of a `CREATE` statement (a SQL-standard `BEGIN ATOMIC` function body, a SQLite trigger).
public enum StatementSplitter {
    public static func split(_ sql: String) -> [SQLStatement] {
        var scanner = Scanner(Array(sql.unicodeScalars))
        return scanner.statements()
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        var index = 0
        var line = 1
        var found: [SQLStatement] = []
        /// Where the current statement's first token is, once one was seen.
        var start: (index: Int, line: Int)?
        var insideGooseBlock = false
        /// Whether the current statement starts with `CREATE`: only then do `BEGIN … END` bodies
        /// (SQLite triggers, `BEGIN ATOMIC`) keep their `;`s.
        var isCreateStatement = false
        /// Open `BEGIN`/`CASE` words awaiting their `END` in a `CREATE` statement.
        var blockDepth = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func statements() -> [SQLStatement] {
            while index < scalars.count {
                let scalar = scalars[index]
                switch scalar {
                case "-" where peek(1) == "-":
                    lineComment()
                case "/" where peek(1) == "*":
                    blockComment()
                case ";" where !insideGooseBlock && blockDepth == 0:
                    finish(at: index)
                    index += 1
                case "'":
                    markStart()
                    quoted(until: "'", backslashEscapes: isEscapeStringPrefix())
                case "\"":
                    markStart()
                    quoted(until: "\"", backslashEscapes: false)
                case "$" where !previousIsIdentifierCharacter():
                    markStart()
                    if let tag = dollarTag() { dollarQuoted(tag) } else { index += 1 }
                case "\n":
                    line += 1
                    index += 1
                default:
                    if !scalar.properties.isWhitespace { markStart() }
                    if isIdentifierCharacter(scalar), !previousIsIdentifierCharacter() { word() } else { index += 1 }
                }
            }
            finish(at: index)
            return found
        }

        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < scalars.count ? scalars[index + offset] : nil
        }

        mutating func markStart() {
            if start == nil { start = (index, line) }
        }

        mutating func finish(at end: Int) {
            if let start {
                var text = String(String.UnicodeScalarView(scalars[start.index..<end]))
                while let last = text.unicodeScalars.last, last.properties.isWhitespace {
                    text.unicodeScalars.removeLast()
                }
                found.append(SQLStatement(text: text, startLine: start.line))
            }
            start = nil
            isCreateStatement = false
            blockDepth = 0
        }

        /// Reads a keyword or identifier, tracking the `BEGIN`/`CASE` … `END` nesting of `CREATE` statements.
        mutating func word() {
            let begin = index
            while index < scalars.count, isIdentifierCharacter(scalars[index]) { index += 1 }
            let word = String(String.UnicodeScalarView(scalars[begin..<index])).uppercased()
            if start?.index == begin {
                isCreateStatement = word == "CREATE"
            } else if isCreateStatement {
                switch word {
                case "BEGIN", "CASE": blockDepth += 1
                case "END": blockDepth = max(blockDepth - 1, 0)
                default: break
                }
            }
        }

        mutating func lineComment() {
            let begin = index
            while index < scalars.count, scalars[index] != "\n" { index += 1 }
            let comment = String(String.UnicodeScalarView(scalars[begin..<index]))
            let words = comment.dropFirst(2).split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2, words[0] == "+goose" {
                if words[1] == "StatementBegin" {
                    finish(at: begin)
                    insideGooseBlock = true
                } else if words[1] == "StatementEnd" {
                    insideGooseBlock = false
                    finish(at: begin)
                }
            }
        }

        /// `/* … */`, which PostgreSQL lets nest.
        mutating func blockComment() {
            var depth = 0
            while index < scalars.count {
                if scalars[index] == "/", peek(1) == "*" {
                    depth += 1
                    index += 2
                } else if scalars[index] == "*", peek(1) == "/" {
                    depth -= 1
                    index += 2
                    if depth == 0 { return }
                } else {
                    if scalars[index] == "\n" { line += 1 }
                    index += 1
                }
            }
        }

        /// Whether the quote at `index` opens an `E'…'` string (the `E` not part of a longer word).
        func isEscapeStringPrefix() -> Bool {
            guard index >= 1, scalars[index - 1] == "e" || scalars[index - 1] == "E" else { return false }
            return index < 2 || !isIdentifierCharacter(scalars[index - 2])
        }

        /// Skips a string or quoted identifier; a doubled closing quote stands for itself.
        mutating func quoted(until quote: Unicode.Scalar, backslashEscapes: Bool) {
            index += 1
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar == "\n" { line += 1 }
                if backslashEscapes, scalar == "\\" {
                    if peek(1) == "\n" { line += 1 }
                    index += 2
                } else if scalar == quote {
                    if peek(1) == quote {
                        index += 2
                    } else {
                        index += 1
                        return
                    }
                } else {
                    index += 1
                }
            }
        }

        /// The `$tag$` opening at `index`, if it is one (`$1` is a parameter, not a quote).
        func dollarTag() -> [Unicode.Scalar]? {
            var end = index + 1
            while end < scalars.count, scalars[end] != "$" {
                let scalar = scalars[end]
                guard isIdentifierCharacter(scalar), scalar != "$",
                    !(end == index + 1 && scalar.properties.numericType != nil)
                else { return nil }
                end += 1
            }
            guard end < scalars.count else { return nil }
            return Array(scalars[index...end])
        }

        mutating func dollarQuoted(_ tag: [Unicode.Scalar]) {
            index += tag.count
            while index < scalars.count {
                if scalars[index] == "$", scalars[index...].starts(with: tag) {
                    index += tag.count
                    return
                }
                if scalars[index] == "\n" { line += 1 }
                index += 1
            }
        }

        func previousIsIdentifierCharacter() -> Bool {
            index > 0 && isIdentifierCharacter(scalars[index - 1])
        }

        func isIdentifierCharacter(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || scalar == "$" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
    }
}
