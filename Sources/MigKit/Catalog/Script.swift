import Crypto

/// One SQL script of a migration (its up or its down), normalised and located in its file.
///
/// The script remembers the file and line it starts at, so every later error (a failing
/// statement in a shadow replay, a database error) can name the line of the file rather
/// than the line of the section.
public struct Script: Sendable, Hashable, Codable {
    /// Path of the file relative to the migration directory.
    public let path: String
    /// 1-based line of the file on which the script's first line stands.
    public let startLine: Int
    /// The SQL as the file has it (a BOM dropped), line endings included: what runs.
    public private(set) var sql: String
    /// SHA-256 (lower-case hex) of `sql`'s UTF-8 bytes with CRLF turned into LF, so a checkout with
    /// other line endings does not read as an edited migration.
    public let checksum: String
    /// SHA-256 of the SQL that runs: `checksum`, unless placeholders replaced the file's text.
    /// What a cached shadow snapshot is keyed on, so another placeholder value is another schema.
    public private(set) var runChecksum: String
    /// Whether a directive asked for the script to run outside a transaction.
    public let runsOutsideTransaction: Bool

    /// Whether the script has any SQL beyond comments and white space.
    public private(set) var hasStatements: Bool

    /// A script whose directives are read from its own text; `runsOutsideTransaction` adds one
    /// given elsewhere (a marker line or a file header in the sections layout).
    public init(path: String, startLine: Int, sql: String, runsOutsideTransaction outsideTransaction: Bool = false) {
        let facts = ScriptFacts(sql)
        self.path = path
        self.startLine = startLine
        self.sql = sql
        self.checksum = Self.checksum(of: SourceText.normalizingLineEndings(sql))
        self.runChecksum = checksum
        // sqlx's directive: the file starts with `-- no-transaction`.
        self.runsOutsideTransaction =
            outsideTransaction || facts.runsOutsideTransaction || sql.hasPrefix("-- no-transaction")
        self.hasStatements = facts.hasStatements
    }

    /// The same script running `sql` instead (placeholders replaced): the checksum and the
    /// directives stay those of the file's text.
    func replacingSQL(_ sql: String) -> Script {
        var script = self
        script.sql = sql
        script.runChecksum = Self.checksum(of: SourceText.normalizingLineEndings(sql))
        script.hasStatements = ScriptFacts(sql).hasStatements
        return script
    }

    /// The line of the file on which the given 1-based line of the script stands.
    public func fileLine(forScriptLine line: Int) -> Int { startLine + line - 1 }

    static func checksum(of sql: String) -> String { checksum(of: Array(sql.utf8)) }

    static func checksum(of bytes: some Collection<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        let hexDigits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
