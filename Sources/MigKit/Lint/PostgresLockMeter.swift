/// What one statement did in the shadow: the table locks it took and the tables it rewrote or
/// emptied.
public struct MeasuredStatement: Sendable, Codable, Equatable {
    /// A lock on a table, a view or a materialized view, as `pg_locks` names its mode
    /// (`ShareLock`, `AccessExclusiveLock`…).
    public struct TableLock: Sendable, Codable, Equatable {
        /// `table`, or `schema.table` outside `public`.
        public let table: String
        public let mode: String
        /// Whether the table existed before the branch's migrations.
        public let existing: Bool
    }

    /// The file and line of the statement.
    public let location: SourceLocation
    /// The locks the statement added to its migration's transaction, the strongest on each table
    /// (a lock the transaction already held is not repeated).
    public let locks: [TableLock]
    /// Existing tables whose `relfilenode` changed: their data was rewritten.
    public let rewritten: [String]
    /// Existing tables `TRUNCATE` gave new, empty storage (a new `relfilenode` too, no rewrite).
    public let emptied: [String]
    /// False for statements that run outside a transaction: their locks end with them, before
    /// `pg_locks` can be read; rewrites are still seen.
    public let locksMeasured: Bool
    /// The database's message when the statement failed in the shadow (on the generated rows,
    /// say); its migration's transaction was rolled back and its later statements did not run.
    public let failure: String?

    /// "SHARE on users (existing table); users rewritten", the evidence beside a rule.
    public var summary: String {
        var parts = locks.map { lock in
            let mode = lock.mode.replacing("Lock", with: "").replacing(/([a-z])([A-Z])/) { "\($0.1) \($0.2)" }
                .uppercased()
            return "\(mode) on \(lock.table)\(lock.existing ? " (existing table)" : "")"
        }
        if !locksMeasured { parts.append("locks not measured (runs outside a transaction)") }
        parts += rewritten.map { "\($0) rewritten" }
        parts += emptied.map { "\($0) emptied (new storage)" }
        if let failure { parts.append("failed in the shadow: \(failure)") }
        return parts.joined(separator: "; ")
    }

    /// Whether the statement touched a table that existed before the branch, or failed.
    public var affectsExistingTable: Bool {
        !rewritten.isEmpty || !emptied.isEmpty || locks.contains(where: \.existing) || failure != nil
    }
}

/// What `--measure` found: each statement's locks and rewrites, and the rows it generated first.
public struct LockMeasurement: Sendable, Codable, Equatable {
    public let statements: [MeasuredStatement]
    public let generatedRows: [GeneratedRows]
    /// Why nothing was measured (a merged migration failing in the shadow, say): a measurement
    /// left out is said to be, never silently missing.
    public let skipped: String?
    /// Whether this is an earlier measurement of the same scripts on the same schema, kept in
    /// `.migrate/cache` (not stored in the cache file itself).
    public internal(set) var reused = false

    private enum CodingKeys: String, CodingKey { case statements, generatedRows, skipped }

    init(statements: [MeasuredStatement], generatedRows: [GeneratedRows], skipped: String? = nil) {
        self.statements = statements
        self.generatedRows = generatedRows
        self.skipped = skipped
    }

    /// A measurement not made, and why.
    static func skipped(_ reason: String) -> LockMeasurement {
        LockMeasurement(statements: [], generatedRows: [], skipped: reason)
    }
}

/// Replays migrations in a PostgreSQL shadow and measures what each statement of the linted ones
/// held: its own backend's relation locks from `pg_locks`, read after the statement inside its
/// migration's transaction (locks last until it ends), and rewrites from each table's
/// `relfilenode` before and after.
///
/// Each migration runs as `mig up` runs it: in one transaction, or statement by statement when it
/// cannot run in one. The migrations before the branch's are applied first, so "existing table"
/// means what it means in production, and their tables get generated rows, so that rewrites,
/// index builds and validations work through data. Measured, not guessed: no rule decides what
/// PostgreSQL locks here.
public struct PostgresLockMeter {
    private let makeDatabase: ShadowDatabaseFactory
    /// Rows generated in each existing table before the branch's migrations run.
    private let rowsPerTable: Int

    /// Rows generated per existing table unless a caller asks otherwise.
    public static let defaultRowsPerTable = 300

    public init(makeDatabase: @escaping ShadowDatabaseFactory, rowsPerTable: Int = defaultRowsPerTable) {
        self.makeDatabase = makeDatabase
        self.rowsPerTable = rowsPerTable
    }

    /// Every word that could name a table in `scripts`: runs of letters, digits, `_` and `$`,
    /// as written and in lower case (how PostgreSQL folds a name that is not quoted).
    static func identifiers(in scripts: [String]) -> Set<String> {
        var names: Set<String> = []
        for script in scripts {
            for word in script.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "$") }) {
                names.insert(String(word))
                names.insert(word.lowercased())
            }
        }
        return names
    }

    /// Applies `before`'s up scripts, fills their tables, then runs `targets`, measuring the
    /// linted ones. A merged migration that fails, or a script that cannot be read, throws.
    public func measure(before: [Script], targets: [LintTarget]) throws -> LockMeasurement {
        guard let database = try makeDatabase() as? PostgresDriver else {
            throw LintSetupError.measureNeedsPostgresBranch
        }
        let reader = PostgresSQLReader()
        for script in before {
            let reading = try read(script, with: reader)
            let wrapped = TransactionMode(script: script, reading: reading) == .wrapped
            if wrapped { try database.execute(sql: "BEGIN") }
            for statement in reading.statements { try database.execute(statement, of: script) }
            if wrapped { try database.execute(sql: "COMMIT") }
        }
        let generated = try PostgresRowFiller(
            database: database, rows: rowsPerTable, names: Self.identifiers(in: targets.map(\.script.sql))
        ).fill()
        let tables = TableCatalog(database: database)
        let existing = try tables.relfilenodes()
        var measured: [MeasuredStatement] = []
        for target in targets {
            let reading = try read(target.script, with: reader)
            let wrapped = TransactionMode(script: target.script, reading: reading) == .wrapped
            var statements: [MeasuredStatement] = []
            if wrapped { try database.execute(sql: "BEGIN") }
            for statement in reading.statements {
                let before = try tables.relfilenodes()
                let held: Set<[String]> = try wrapped ? Set(tables.locks().map(\.key)) : []
                var failure: String?
                do {
                    try database.execute(statement, of: target.script)
                } catch {
                    failure = Self.message(of: error)
                    // Ends the migration's transaction (or a script's own) the failure aborted.
                    try? database.execute(sql: "ROLLBACK")
                }
                let locks =
                    try wrapped && failure == nil
                    ? tables.strongest(tables.locks().filter { !held.contains($0.key) }, existing: existing) : []
                let after = try tables.relfilenodes()
                let changed = existing.keys.filter {
                    guard let old = before[$0], let new = after[$0] else { return false }
                    return old.relfilenode != new.relfilenode
                }
                let names = changed.compactMap { after[$0]?.name }.sorted()
                let truncated = Self.isTruncate(statement.text)
                statements.append(
                    MeasuredStatement(
                        location: SourceLocation(
                            path: target.path, line: target.script.fileLine(forScriptLine: statement.startLine)),
                        locks: locks, rewritten: truncated ? [] : names, emptied: truncated ? names : [], locksMeasured: wrapped,
                        failure: failure))
                if wrapped, failure != nil { break }
            }
            if wrapped, statements.last?.failure == nil {
                do {
                    try database.execute(sql: "COMMIT")
                } catch {
                    // A deferred constraint checked at COMMIT: the migration's last statement carries it.
                    try? database.execute(sql: "ROLLBACK")
                    if let last = statements.popLast() {
                        statements.append(last.failing("at COMMIT: \(Self.message(of: error))"))
                    }
                }
            }
            if target.isLinted { measured += statements }
        }
        return LockMeasurement(statements: measured, generatedRows: generated)
    }

    private static func isTruncate(_ text: String) -> Bool {
        text.drop { !$0.isLetter }.prefix { $0.isLetter }.uppercased() == "TRUNCATE"
    }

    private static func message(of error: any Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    private func read(_ script: Script, with reader: PostgresSQLReader) throws -> SQLScript {
        do {
            return try reader.read(script.sql)
        } catch {
            throw DatabaseError(
                message: error.message, path: script.path, line: script.fileLine(forScriptLine: error.line))
        }
    }
}

extension MeasuredStatement {
    /// The same statement, failed with `failure`.
    fileprivate func failing(_ failure: String) -> MeasuredStatement {
        MeasuredStatement(
            location: location, locks: locks, rewritten: rewritten, emptied: emptied, locksMeasured: locksMeasured,
            failure: failure)
    }
}

/// The shadow's tables, views and materialized views as the meter follows them: by `pg_class`
/// oid, so that same-named tables of two schemas stay apart and a table renamed on the branch
/// is still the existing one; mig's own history tables left out.
private struct TableCatalog {
    let database: PostgresDriver

    /// A relation's name as shown and its storage.
    struct Storage: Equatable {
        let name: String
        let relfilenode: String
    }

    /// `table`, or `schema.table` outside `public`.
    private static let shownName = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END"

    /// User tables, partitioned tables, views and materialized views, without mig's own tables.
    private var relations: String {
        let history = database.history
        let schema = quoteLiteral(history.schema ?? history.defaultSchema ?? "public")
        let own = history.ownTables.sorted().map(quoteLiteral).joined(separator: ", ")
        return """
            c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND NOT (n.nspname = \(schema) AND c.relname IN (\(own)))
            """
    }

    /// Each relation's storage by oid (partitioned tables and views have none of their own: 0).
    func relfilenodes() throws -> [String: Storage] {
        let result = try database.connection.execute(
            """
            SELECT c.oid::text, \(Self.shownName), c.relfilenode::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE \(relations)
            """, parameters: [])
        return Dictionary(
            result.rows.map { ($0[0] ?? "", Storage(name: $0[1] ?? "", relfilenode: $0[2] ?? "")) },
            uniquingKeysWith: { first, _ in first })
    }

    /// A relation lock this backend holds: the relation's oid and the mode.
    struct Lock {
        let oid: String
        let name: String
        let mode: String
        /// The lock whatever the relation is called now (a rename keeps the oid).
        var key: [String] { [oid, mode] }
    }

    /// This backend's relation locks on the relations followed.
    func locks() throws -> [Lock] {
        let result = try database.connection.execute(
            """
            SELECT c.oid::text, \(Self.shownName), l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND \(relations)
            """, parameters: [])
        return result.rows.map { Lock(oid: $0[0] ?? "", name: $0[1] ?? "", mode: $0[2] ?? "") }
    }

    /// PostgreSQL's table lock modes, weakest first ("Explicit Locking", table 13.2).
    private static let strength = [
        "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
        "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
    ]

    /// The strongest of `locks` on each relation, by name.
    func strongest(_ locks: [Lock], existing: [String: Storage]) -> [MeasuredStatement.TableLock] {
        var strongest: [String: Lock] = [:]
        for lock in locks {
            let rank = Self.strength.firstIndex(of: lock.mode) ?? 0
            if strongest[lock.oid].map({ (Self.strength.firstIndex(of: $0.mode) ?? 0) < rank }) ?? true {
                strongest[lock.oid] = lock
            }
        }
        return strongest.values.sorted { ($0.name, $0.oid) < ($1.name, $1.oid) }.map {
            .init(table: $0.name, mode: $0.mode, existing: existing[$0.oid] != nil)
        }
    }
}
