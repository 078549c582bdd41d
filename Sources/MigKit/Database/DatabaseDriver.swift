import Foundation

/// A connection to one database that migrations are applied to (or replayed into).
///
/// The runner, the shadow and `status` speak only this protocol, so SQLite and PostgreSQL
/// behave the same from the user's side. Implementations own their C handle and are not
/// `Sendable`.
public protocol DatabaseDriver: AnyObject {
    var dialect: Dialect { get }

    /// Runs every statement of `script`. A failure throws `DatabaseError` whose `line` is the
    /// line of the script's file (not of the script) on which the failing statement starts.
    func execute(_ script: Script) throws

    /// Runs SQL that mig itself wrote (no file to point at).
    func execute(sql: String) throws

    /// Runs one statement of `script` (cut out by the dialect's `SQLReader`), for scripts that run one
    /// statement at a time (a no-transaction migration that may stop half-way and resume, a script
    /// with its own transactions, `COPY … FROM stdin` data); a failure names the statement's line of the file.
    func execute(_ statement: SQLStatement, of script: Script) throws

    /// Runs one statement of a no-transaction `script`, then writes `record` (the history row that
    /// counts it done), atomically where the engine can — so that a run killed between the two
    /// never leaves a statement done that the history says is still to do.
    func execute(_ statement: SQLStatement, of script: Script, thenRecord record: AppliedMigration) throws

    /// Messages the database sent besides results (PostgreSQL notices) since the last call.
    func takeNotices() -> [String]

    func beginTransaction() throws
    /// Begins the transaction `script` runs in; an engine may set the connection up for that
    /// script first (SQLite: a script that sets `foreign_keys` runs with them off).
    func beginTransaction(for script: Script) throws
    func commitTransaction() throws
    func rollbackTransaction() throws
    /// Whether the steps a rehearsal runs on this throw-away copy may share one transaction and still
    /// fail where each would fail at its own commit: the engine resets the session between them
    /// (`checkDeferredConstraints()`), and the copy has no deferrable constraint or trigger, whose
    /// checks would run at another moment, and on another session, than at a commit.
    func maySharePlanTransactions() throws -> Bool
    /// Does now, inside the open transaction, what its commit would do before the next script: the
    /// session reset, then the checks of the constraints it deferred; from then on those are checked
    /// at once for the rest of the transaction.
    func checkDeferredConstraints() throws
    /// Whether the connection can still run statements (a server that ended it cannot).
    var isConnected: Bool { get }

    /// Takes the lock that keeps two mig runs on this database from applying concurrently,
    /// waiting for it; returns once held. Only write paths take it, so PostgreSQL brings a history
    /// table an earlier mig created up to date here (`ensureHistoryTable()` does on SQLite).
    func acquireMigrationLock() throws
    func releaseMigrationLock() throws

    /// Creates the history table and its events record if they do not exist yet. SQLite also brings a
    /// history table that an earlier mig created up to date here (an `applied_order` filled in from
    /// `applied_at`); PostgreSQL, where that locks the table and needs its owner, does it in
    /// `acquireMigrationLock()`, and records without what a role may not add.
    func ensureHistoryTable() throws
    /// The history table's rows in version order (none when the table does not exist), each with its
    /// `appliedOrder` where the table has one.
    func appliedMigrations() throws -> [AppliedMigration]
    /// Inserts or replaces the history row for `record.version`. A new row's `applied_order` is one more
    /// than the highest in the table; a replaced row keeps its own (a resumed or resolved migration was
    /// applied when it started).
    func recordApplied(_ record: AppliedMigration) throws
    /// Deletes the history row whose version equals `version` (as versions compare: `0003` is `3`).
    func removeAppliedRecord(version: Version) throws
    /// Appends `event` to the events record (`HistoryEvent`), in the current transaction if one is open.
    /// `ensureHistoryTable()` creates the record.
    func recordEvent(_ event: HistoryEvent) throws
    /// The events record, oldest first (none when it does not exist).
    func historyEvents() throws -> [HistoryEvent]
    /// The rows of the repeatables table (`AppliedRepeatable`), none when it does not exist.
    func appliedRepeatables() throws -> [AppliedRepeatable]
    /// Creates the repeatables table if needed and inserts or replaces the row of `record.name`.
    func recordRepeatable(_ record: AppliedRepeatable) throws

    /// The database's schema, normalised for comparison (the history table left out).
    func schemaSnapshot() throws -> SchemaSnapshot
    /// A digest of `schemaSnapshot()`, valid in this process, that an engine may compute more
    /// cheaply (SQLite: from per-object hashes remembered by their SQL text). The roundtrip
    /// compares these after every step and reads whole snapshots only on a difference.
    func schemaDigest() throws -> Int
    /// Runs `body`, which only reads, in one read-only transaction, so that what it reads (the
    /// history, then the schema) is one moment of the database even while others write to it.
    func readingConsistently<T>(_ body: () throws -> T) throws -> T

    /// A throw-away database holding the same schema, data and history as this one, on which
    /// `mig up` rehearses its plan before touching this one (SQLite: a copy in a temporary file made with
    /// the backup API). Dropping the returned driver discards the copy. An engine that cannot copy
    /// itself throws; its runs get their copy from a `RehearsalSource` (PostgreSQL: a shadow server).
    func makeShadowCopy() throws -> any DatabaseDriver

    /// The database's whole content as bytes `restore(image:)` can load into a fresh shadow, so a
    /// replay can start from a cached prefix instead of from nothing (`ShadowSnapshotCache`);
    /// `nil` where the engine cannot (then every replay starts from nothing).
    func image() throws -> Data?
    /// Replaces this fresh shadow's content with `image`; `false` where the engine cannot.
    func restore(image: Data) throws -> Bool
}

extension DatabaseDriver {
    /// A database nobody else writes to (a shadow, a rehearsal) reads consistently as it is.
    public func readingConsistently<T>(_ body: () throws -> T) throws -> T { try body() }

    public func execute(_ statement: SQLStatement, of script: Script) throws {
        try execute(
            Script(
                path: script.path, startLine: script.fileLine(forScriptLine: statement.startLine), sql: statement.text,
                runsOutsideTransaction: true))
    }

    public func execute(_ statement: SQLStatement, of script: Script, thenRecord record: AppliedMigration) throws {
        try execute(statement, of: script)
        try recordApplied(record)
    }

    public func takeNotices() -> [String] { [] }

    public func beginTransaction(for script: Script) throws { try beginTransaction() }

    public func maySharePlanTransactions() throws -> Bool { false }

    public func checkDeferredConstraints() throws {}

    public var isConnected: Bool { true }

    public func schemaDigest() throws -> Int { try schemaSnapshot().hashValue }

    public func image() throws -> Data? { nil }

    public func restore(image: Data) throws -> Bool { false }
}

/// One row of the history table.
public struct AppliedMigration: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable {
        case applied
        /// Part of a non-transactional migration ran and then a statement failed.
        case dirty
    }

    public let version: Version
    public let name: String
    public let checksum: String
    public let appliedAt: Date
    public let executionMilliseconds: Int
    public let appliedBy: String
    /// The HEAD commit mig ran from, if it ran inside a Git repository.
    public let gitCommit: String?
    public let state: State
    /// For a `dirty` migration: the digest (`SQLStatement.digest`) of each statement that succeeded,
    /// in order, so a rerun can resume after them when they are unchanged.
    public let completedStatements: [String]
    /// Where the row stands in the order the database applied its migrations (a counter, not a clock:
    /// two applies in the same millisecond still order); `nil` for a row of a history table that an
    /// earlier mig wrote and no run has brought up to date yet, or for a row not read from a table
    /// (except an adopted row, where it is its place in the other tool's order; `recordApplied`
    /// numbers rows itself).
    public let appliedOrder: Int64?

    /// The `completedStatements` of a dirty row left by a down script that failed part-way: it matches
    /// no statement digest, so `mig up` never resumes such a migration; a person resolves it.
    public static let failedRevertMarker = "failed-revert"
    /// The `completedStatements` of a dirty row left by a script with its own transaction control that
    /// failed part-way: what its own COMMITs kept is unknown to mig, so a person resolves it.
    public static let selfManagedMarker = "failed-self-managed"

    public init(
        version: Version, name: String, checksum: String, appliedAt: Date, executionMilliseconds: Int,
        appliedBy: String, gitCommit: String?, state: State, completedStatements: [String] = [],
        appliedOrder: Int64? = nil
    ) {
        self.appliedOrder = appliedOrder
        self.version = version
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.executionMilliseconds = executionMilliseconds
        self.appliedBy = appliedBy
        self.gitCommit = gitCommit
        self.state = state
        self.completedStatements = completedStatements
    }
}

extension AppliedMigration {
    /// `rows` in the order the database applied them, oldest first: by `appliedOrder`; rows without
    /// one (written by an earlier mig) by `applied_at`, then by version, after those with one — the
    /// order in which `ensureHistoryTable()` numbers them. Rows with the same `appliedOrder` (a table
    /// edited by hand) order by `applied_at`, then version too, so the order never depends on how
    /// the rows were read.
    public static func inAppliedOrder(_ rows: [AppliedMigration]) -> [AppliedMigration] {
        rows.sorted { left, right in
            switch (left.appliedOrder, right.appliedOrder) {
            case (let l?, let r?) where l != r: return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return (left.appliedAt, left.version) < (right.appliedAt, right.version)
            }
        }
    }
}

/// An error reported by a database, with everything the database said kept apart.
/// A connection URL's password never appears in it.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// PostgreSQL's SQLSTATE, or SQLite's extended result code as text.
    public let code: String?
    public let detail: String?
    public let hint: String?
    /// The file (relative to the migration directory) and line of the failing statement, when
    /// the error came from a migration script.
    public let path: String?
    public let line: Int?

    public init(
        message: String, code: String? = nil, detail: String? = nil, hint: String? = nil, path: String? = nil,
        line: Int? = nil
    ) {
        self.message = message
        self.code = code
        self.detail = detail
        self.hint = hint
        self.path = path
        self.line = line
    }

    /// The same error placed at `line` of `path`.
    public func located(path: String, line: Int?) -> DatabaseError {
        DatabaseError(message: message, code: code, detail: detail, hint: hint, path: path, line: line)
    }

    public var description: String {
        guard let path else { return summary }
        return (line.map { "\(path):\($0): " } ?? "\(path): ") + summary
    }

    /// Everything the database said, without the location: message, code, detail and hint.
    public var summary: String {
        var text = message
        if let code { text += " (\(code))" }
        if let detail { text += "\ndetail: \(detail)" }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}
