/// Reads PostgreSQL scripts with PostgreSQL's own parser (libpg_query, the PostgreSQL 15 grammar):
/// statements split where the server would split them, and classified from their parse trees.
///
/// Beyond the grammar it reads what psql reads in a file: the data lines after `COPY … FROM stdin`
/// up to `\.` (or the end of the file). `COPY … TO stdout` (nothing would read the output) and psql's
/// meta-commands (`\i`, `\set`…, which are not SQL) are errors naming their line, as is anything
/// the parser rejects; a script is read in full before any of it runs. Scripts are read with
/// `standard_conforming_strings` on (the default since PostgreSQL 9.1), so a script that turns it off
/// is an error too: its later strings would mean something else to the server than to the parser.
public struct PostgresSQLReader: SQLReader {
    public init() {}

    /// Statements whose first word can make them something other than `.ordinary`; only these are
    /// parsed into trees (a seed file of a million `INSERT`s is split, not decoded).
    private static let classifiedWords: Set<String> = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE", "CREATE", "DROP", "REINDEX", "VACUUM",
        "ALTER", "COPY", "SET",
    ]

    /// Whether a statement starting with `byte` may start with one of `classifiedWords`.
    private static func mayBeClassified(_ byte: UInt8) -> Bool {
        switch byte | 0x20 {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "e"),
            UInt8(ascii: "p"), UInt8(ascii: "r"), UInt8(ascii: "s"), UInt8(ascii: "v"):
            true
        default: false
        }
    }

    public func read(_ sql: String) throws(SQLReadError) -> SQLScript {
        let text = SQLText(sql)
        if let nul = text.bytes.firstIndex(of: 0) {
            throw SQLReadError(line: text.line(at: nul), message: "a NUL byte: PostgreSQL cannot run it")
        }
        var statements: [SQLStatement] = []
        var offset = 0
        reading: while offset < text.bytes.count {
            let (ranges, failure) = try chunks(of: text, from: offset)
            for range in ranges {
                guard let statement = try statement(in: range, of: text) else { continue }
                statements.append(statement.statement)
                if let dataEnd = statement.dataEnd {
                    offset = dataEnd
                    continue reading
                }
            }
            if let failure { throw failure }
            break
        }
        return SQLScript(statements: statements)
    }

    /// The statements from `offset` on. When the parser fails, the complete statements before the
    /// error are returned with the error: one of them may be a `COPY … FROM stdin` whose data the
    /// parser mistook for SQL.
    private func chunks(of text: SQLText, from offset: Int) throws(SQLReadError) -> ([Range<Int>], SQLReadError?) {
        do {
            return (try PgQuery.split(text, offset..<text.bytes.count, with: .parser), nil)
        } catch {
            let errorOffset = text.byteOffset(ofCharacter: error.characterPosition, from: offset)
            let failure = readError(error, at: errorOffset, in: text)
            let scanned = (try? PgQuery.split(text, offset..<errorOffset, with: .scanner)) ?? []
            guard let lastEnd = scanned.last(where: { text.byte(at: $0.upperBound) == UInt8(ascii: ";") })?.upperBound
            else { return ([], failure) }
            do {
                return (try PgQuery.split(text, offset..<lastEnd + 1, with: .parser), failure)
            } catch {
                let earlier = text.byteOffset(ofCharacter: error.characterPosition, from: offset)
                throw readError(error, at: earlier, in: text)
            }
        }
    }

    private func readError(_ error: PgQuery.Failure, at offset: Int, in text: SQLText) -> SQLReadError {
        let line = text.line(at: offset)
        if text.byte(at: offset) == UInt8(ascii: "\\") {
            let command = text.word(at: offset + 1)
            return SQLReadError(
                line: line,
                message: "psql meta-command \\\(command): mig sends SQL to the server, and psql's commands are not "
                    + "SQL; write the SQL it stands for, or run this file with psql")
        }
        return SQLReadError(
            line: line,
            message: "PostgreSQL's parser (the PostgreSQL 15 grammar) cannot read this: \(error.message); "
                + "fix the SQL (syntax newer than PostgreSQL 15 is not understood yet)")
    }

    /// The statement in `range` (nil when it holds only comments), and for `COPY … FROM stdin` the
    /// offset just after its data.
    private func statement(in range: Range<Int>, of text: SQLText) throws(SQLReadError)
        -> (statement: SQLStatement, dataEnd: Int?)?
    {
        let start = text.firstToken(in: range)
        guard start < range.upperBound else { return nil }
        let body = text.trimmed(start..<range.upperBound)
        let line = text.line(at: start)
        guard Self.mayBeClassified(text.bytes[start]), Self.classifiedWords.contains(text.word(at: start).uppercased())
        else {
            return (SQLStatement(source: body, startLine: line), nil)
        }
        let tree: PgJSON?
        do {
            tree = try PgQuery.parse(text, start..<range.upperBound).statements.first
        } catch {
            throw SQLReadError(line: line, message: "PostgreSQL's parser cannot read this statement: \(error)")
        }
        let node = tree.map(PostgresStatementNode.init) ?? .other
        switch node {
        case .copy(isFrom: false, toClient: true):
            throw SQLReadError(
                line: line,
                message: "COPY … TO STDOUT: a migration has nobody to read its output; "
                    + "copy to a file on the server, or run it with psql")
        case .standardConformingStrings(on: false):
            throw SQLReadError(
                line: line,
                message: "standard_conforming_strings off: mig reads scripts as PostgreSQL does by default (on), where "
                    + "a backslash in '…' is an ordinary character; write backslash escapes as E'…' strings instead")
        case .copy(isFrom: true, toClient: true):
            let (data, end) = try copyData(after: range.upperBound, of: text, statementLine: line)
            return (SQLStatement(source: body, startLine: line, kind: .copyFromStdin(data: data), tree: tree), end)
        default:
            return (
                SQLStatement(
                    source: body, startLine: line, kind: node.kind, concurrentIndex: node.concurrentIndex, tree: tree),
                nil
            )
        }
    }

    /// The data lines of a `COPY … FROM stdin` whose `;` is at `semicolon`: from the next line up to
    /// a line holding only `\.`, or to the end of the file, as psql reads them.
    private func copyData(after semicolon: Int, of text: SQLText, statementLine: Int) throws(SQLReadError)
        -> (data: String, end: Int)
    {
        let bytes = text.bytes
        var lineEnd = semicolon
        while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
        let trailing = text.firstToken(in: min(semicolon + 1, lineEnd)..<lineEnd)
        guard trailing >= lineEnd else {
            throw SQLReadError(
                line: statementLine,
                message: "COPY … FROM stdin: its data must start on the line after the statement, as psql reads it")
        }
        let dataStart = min(lineEnd + 1, bytes.count)
        var lineStart = dataStart
        while lineStart < bytes.count {
            var end = lineStart
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[lineStart..<end]
            if line.elementsEqual("\\.".utf8) || line.elementsEqual("\\.\r".utf8) {
                return (String(decoding: bytes[dataStart..<lineStart], as: UTF8.self), min(end + 1, bytes.count))
            }
            lineStart = end + 1
        }
        return (String(decoding: bytes[dataStart..<bytes.count], as: UTF8.self), bytes.count)
    }
}
