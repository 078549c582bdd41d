internal import CPgQuery
import Foundation

/// The few calls mig makes into libpg_query (PostgreSQL 15's parser as a C library), each result
/// freed with its `pg_query_free_*` function before returning.
enum PgQuery {
    /// A parser or scanner error: its message and the 1-based character (not byte) it points at,
    /// 0 when it gave none.
    struct Failure: Error {
        let message: String
        let characterPosition: Int
    }

    enum Splitter {
        /// The full grammar: fails on any syntax error.
        case parser
        /// Only the lexer: fails only on tokens it cannot read (an unterminated string or comment).
        case scanner
    }

    /// The byte ranges of the statements in `text` (UTF-8, no NUL), each from just after the previous
    /// `;` (leading white space and comments included) up to its own `;`.
    static func split(_ text: SQLText, _ range: Range<Int>, with splitter: Splitter) throws(Failure) -> [Range<Int>] {
        let base = range.lowerBound
        var ranges: [Range<Int>] = []
        var failure: Failure?
        withCString(text, range) { pointer in
            let result =
                switch splitter {
                case .parser: pg_query_split_with_parser(pointer)
                case .scanner: pg_query_split_with_scanner(pointer)
                }
            defer { pg_query_free_split_result(result) }
            if let error = result.error {
                failure = Failure(
                    message: String(cString: error.pointee.message), characterPosition: Int(error.pointee.cursorpos))
                return
            }
            for index in 0..<Int(result.n_stmts) {
                guard let statement = result.stmts[index]?.pointee else { continue }
                let start = base + Int(statement.stmt_location)
                let end = statement.stmt_len == 0 ? range.upperBound : start + Int(statement.stmt_len)
                ranges.append(start..<min(end, range.upperBound))
            }
        }
        if let failure { throw failure }
        return ranges
    }

    /// The parse tree of `text`, read from libpg_query's JSON.
    static func parse(_ text: SQLText, _ range: Range<Int>) throws(Failure) -> PgJSON {
        var tree = PgJSON.other
        var failure: Failure?
        withCString(text, range) { pointer in
            let result = pg_query_parse(pointer)
            defer { pg_query_free_parse_result(result) }
            if let error = result.error {
                failure = Failure(
                    message: String(cString: error.pointee.message), characterPosition: Int(error.pointee.cursorpos))
            } else if let json = result.parse_tree {
                let count = strlen(json)
                let read = json.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
                    Result { () throws(PgJSON.Malformed) in
                        try PgJSON.parse(UnsafeBufferPointer(start: bytes, count: count))
                    }
                }
                switch read {
                case .success(let value): tree = value
                case .failure(let error): failure = Failure(message: error.description, characterPosition: 0)
                }
            }
        }
        if let failure { throw failure }
        return tree
    }

    /// Calls `body` with `range` of `text` as a C string: in place when the range runs to the end
    /// (a large script is not copied for every `COPY` block it holds), else a NUL-terminated copy.
    private static func withCString(_ text: SQLText, _ range: Range<Int>, _ body: (UnsafePointer<CChar>) -> Void) {
        if range.upperBound == text.bytes.count {
            text.terminated.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress! + range.lowerBound) }
            }
            return
        }
        var bytes = Array(text.bytes[range])
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) }
        }
    }
}
