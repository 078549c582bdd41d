/// One statement of a script, as the dialect's `SQLReader` cut it out.
public struct SQLStatement: Sendable, Hashable {
    /// What running the statement means for the transaction around it.
    public enum Kind: Sendable, Hashable {
        case ordinary
        /// Starts or ends a transaction (`BEGIN`, `COMMIT`, `ROLLBACK`…): the script manages its own
        /// transactions and cannot be wrapped in mig's.
        case transactionControl
        /// Refused by the server inside a transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM`…);
        /// the payload names the statement for messages.
        case nonTransactional(String)
        /// `COPY … FROM stdin` followed in the file by its data, the lines up to `\.` (as psql reads it).
        case copyFromStdin(data: String)
    }

    /// The statement's bytes: a view into the script's, decoded only when asked for (a seed file of
    /// a million statements is read without a million strings).
    private let source: ArraySlice<UInt8>
    /// The statement from its first token up to (not including) its terminating `;`.
    public var text: String { String(decoding: source, as: UTF8.self) }
    /// 1-based line of the script on which the statement's first token stands.
    public let startLine: Int
    public let kind: Kind
    /// For `CREATE INDEX CONCURRENTLY … name`: the index (schema-qualified as written), which a
    /// failure part-way leaves behind INVALID.
    public let concurrentIndex: String?
    /// The statement's parse tree when its reader built one (PostgreSQL's reader parses the
    /// statements that may affect the transaction), so that the lint rules do not parse it again.
    /// Derived from the text: not part of the statement's identity.
    let tree: PgJSON?

    public init(text: String, startLine: Int, kind: Kind = .ordinary, concurrentIndex: String? = nil) {
        self.init(source: ArraySlice(text.utf8), startLine: startLine, kind: kind, concurrentIndex: concurrentIndex)
    }

    init(
        source: ArraySlice<UInt8>, startLine: Int, kind: Kind = .ordinary, concurrentIndex: String? = nil,
        tree: PgJSON? = nil
    ) {
        self.source = source
        self.startLine = startLine
        self.kind = kind
        self.concurrentIndex = concurrentIndex
        self.tree = tree
    }

    public static func == (lhs: SQLStatement, rhs: SQLStatement) -> Bool {
        lhs.source == rhs.source && lhs.startLine == rhs.startLine && lhs.kind == rhs.kind
            && lhs.concurrentIndex == rhs.concurrentIndex
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(startLine)
        hasher.combine(kind)
        hasher.combine(concurrentIndex)
    }

    /// SHA-256 (hex) of `text`: how a dirty migration remembers which statements already ran.
    public var digest: String { Script.checksum(of: source) }
}

/// A script read by its dialect's `SQLReader`: its statements and what they demand of a transaction.
public struct SQLScript: Sendable, Hashable {
    public let statements: [SQLStatement]

    public init(statements: [SQLStatement]) { self.statements = statements }

    /// The first statement that starts or ends a transaction, when the script manages its own.
    public var transactionControl: SQLStatement? {
        statements.first { $0.kind == .transactionControl }
    }

    /// The first statement that cannot run inside a transaction block, with its name.
    public var firstNonTransactional: (statement: SQLStatement, name: String)? {
        for statement in statements {
            if case .nonTransactional(let name) = statement.kind { return (statement, name) }
        }
        return nil
    }

    /// Whether any statement carries `COPY … FROM stdin` data, which only a statement-by-statement run can send.
    public var hasCopyData: Bool {
        statements.contains { if case .copyFromStdin = $0.kind { true } else { false } }
    }
}

/// Why a script cannot be read: the parser's message and the 1-based line of the script it points at.
public struct SQLReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Reads SQL scripts of one dialect: where each statement starts and ends, on which line, and
/// what it demands of a transaction.
///
/// This is the only way mig splits and classifies scripts, so that the runner, the planner's
/// resume points and the drivers' error lines agree with each other and with the database.
public protocol SQLReader: Sendable {
    func read(_ sql: String) throws(SQLReadError) -> SQLScript
}

extension Dialect {
    /// The reader of this dialect's scripts.
    public var reader: any SQLReader {
        switch self {
        case .postgres: PostgresSQLReader()
        case .sqlite: SQLiteSQLReader()
        }
    }
}
