/// What one statement did in the shadow: the table locks it held and the tables it rewrote.
public struct MeasuredStatement: Sendable, Codable, Equatable {
    /// A lock on a table, as `pg_locks` names its mode (`ShareLock`, `AccessExclusiveLock`…).
    public struct TableLock: Sendable, Codable, Equatable {
        public let table: String
        public let mode: String
        /// Whether the table existed before the branch's migrations.
        public let existing: Bool
    }

    public let location: SourceLocation
    public let locks: [TableLock]
    /// Existing tables whose `relfilenode` changed: their data was rewritten.
    public let rewritten: [String]
    /// False for statements that run outside a transaction: their locks end with them, before
    /// `pg_locks` can be read; rewrites are still seen.
    public let locksMeasured: Bool
    /// The database's message when the statement failed in the shadow (on the generated rows,
    /// say); its transaction was rolled back and the next statements still ran.
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
        if let failure { parts.append("failed in the shadow: \(failure)") }
        return parts.joined(separator: "; ")
    }

    /// Whether the statement touched a table that existed before the branch, or failed.
    public var affectsExistingTable: Bool {
        !rewritten.isEmpty || locks.contains(where: \.existing) || failure != nil
    }
}

/// What `--measure` found: each statement's locks and rewrites, and the rows it generated first.
public struct LockMeasurement: Sendable, Codable, Equatable {
    public let statements: [MeasuredStatement]
    public let generatedRows: [GeneratedRows]
}

/// Replays migrations in a PostgreSQL shadow and measures what each statement of the linted ones
/// held: its own backend's relation locks from `pg_locks`, read inside the statement's transaction
/// (locks last until it ends), and rewrites from each table's `relfilenode` before and after.
///
/// The migrations before the branch's are applied first, so "existing table" means what it means
/// in production, and their tables get generated rows, so that rewrites, index builds and
/// validations work through data. Measured, not guessed: no rule decides what PostgreSQL locks here.
public struct PostgresLockMeter {
    private let makeDatabase: ShadowDatabaseFactory
    /// Rows generated in each existing table before the branch's migrations run.
    private let rowsPerTable: Int

    public init(makeDatabase: @escaping ShadowDatabaseFactory, rowsPerTable: Int = 300) {
        self.makeDatabase = makeDatabase
        self.rowsPerTable = rowsPerTable
    }

    /// Applies `before`'s up scripts, fills their tables, then runs `targets` statement by
    /// statement, measuring the linted ones.
    public func measure(before: [Script], targets: [LintTarget]) throws -> LockMeasurement {
        guard let database = try makeDatabase() as? PostgresDriver else {
            throw LintSetupError.measureNeedsPostgresBranch
        }
        let reader = PostgresSQLReader()
        for script in before {
            for statement in try read(script, with: reader).statements { try database.execute(statement, of: script) }
        }
        let generated = try PostgresRowFiller(database: database, rows: rowsPerTable).fill()
        let existing = try relfilenodes(database)
        var measured: [MeasuredStatement] = []
        for target in targets {
            let reading = try read(target.script, with: reader)
            let mode = TransactionMode(script: target.script, reading: reading)
            for statement in reading.statements {
                let measurable =
                    statement.kind == .ordinary && { if case .selfManaged = mode { false } else { true } }()
                let before = try relfilenodes(database)
                var locks: [MeasuredStatement.TableLock] = []
                var failure: String?
                if measurable {
                    try database.execute(sql: "BEGIN")
                    do {
                        try database.execute(statement, of: target.script)
                        locks = try tableLocks(database).map {
                            .init(table: $0.0, mode: $0.1, existing: existing[$0.0] != nil)
                        }
                        try database.execute(sql: "COMMIT")
                    } catch {
                        failure = Self.message(of: error)
                        try database.execute(sql: "ROLLBACK")
                    }
                } else {
                    do {
                        try database.execute(statement, of: target.script)
                    } catch {
                        failure = Self.message(of: error)
                        // Ends a script's own transaction the failure aborted; only a warning otherwise.
                        try? database.execute(sql: "ROLLBACK")
                    }
                }
                guard target.isLinted else { continue }
                let after = try relfilenodes(database)
                let rewritten = existing.keys.filter {
                    before[$0] != nil && after[$0] != nil && before[$0] != after[$0]
                }.sorted()
                measured.append(
                    MeasuredStatement(
                        location: SourceLocation(
                            path: target.path, line: target.script.fileLine(forScriptLine: statement.startLine)),
                        locks: locks, rewritten: rewritten, locksMeasured: measurable, failure: failure))
            }
        }
        return LockMeasurement(statements: measured, generatedRows: generated)
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

    /// The user tables' `relfilenode`s by name (partitioned tables have none of their own).
    private func relfilenodes(_ database: PostgresDriver) throws -> [String: String] {
        let result = try database.connection.execute(
            """
            SELECT c.relname, c.relfilenode::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND c.relname <> 'mig_history'
            """, parameters: [])
        return Dictionary(result.rows.map { ($0[0] ?? "", $0[1] ?? "") }, uniquingKeysWith: { first, _ in first })
    }

    /// PostgreSQL's table lock modes, weakest first ("Explicit Locking", table 13.2).
    private static let strength = [
        "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
        "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
    ]

    /// This backend's strongest lock on each user table it holds one on.
    private func tableLocks(_ database: PostgresDriver) throws -> [(String, String)] {
        let result = try database.connection.execute(
            """
            SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind IN ('r', 'p')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            """, parameters: [])
        var strongest: [String: String] = [:]
        for row in result.rows {
            let (table, mode) = (row[0] ?? "", row[1] ?? "")
            let rank = Self.strength.firstIndex(of: mode) ?? 0
            if strongest[table].map({ (Self.strength.firstIndex(of: $0) ?? 0) < rank }) ?? true {
                strongest[table] = mode
            }
        }
        return strongest.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
