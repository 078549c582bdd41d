import Crypto
import Foundation

/// The history table in a PostgreSQL database (`[database] history_schema` . `history_table`),
/// with every identifier quoted and every value bound.
struct PostgresHistoryTable {
    /// `[database] history_schema`, when set.
    let schema: String?
    let table: String
    /// Without `history_schema`: the schema that was first on the search path when mig connected,
    /// so that a migration's `SET search_path` does not move the history table.
    let defaultSchema: String?

    init(schema: String?, table: String, defaultSchema: String? = nil) {
        self.schema = schema
        self.table = table
        self.defaultSchema = defaultSchema
    }

    /// `"schema"."table"`, or `"table"` on the search path.
    var qualifiedName: String { qualify(table) }
    /// The lease table of `[database] lock = "table"`, next to the history table.
    var lockTable: String { qualify(table + "_lock") }
    /// The names the schema snapshot leaves out (mig's own bookkeeping).
    var ownTables: Set<String> {
        [table, table + "_lock", AppliedRepeatable.tableName(besides: table), HistoryEvent.tableName(besides: table)]
    }
    /// The table of the repeatable migrations' runs (`AppliedRepeatable`), next to the history table.
    var repeatablesTable: String { qualify(AppliedRepeatable.tableName(besides: table)) }

    /// The `pg_advisory_lock` key: derived from the table's name so projects sharing a database with
    /// different history tables do not block each other.
    var advisoryKey: Int64 {
        let digest = Array(SHA256.hash(data: Array("mig:\(schema ?? ""):\(table)".utf8)))
        return digest.prefix(8).reduce(0) { ($0 << 8) | Int64($1) }
    }

    private func qualify(_ name: String) -> String {
        (schema ?? defaultSchema).map { "\(quoteIdentifier($0)).\(quoteIdentifier(name))" } ?? quoteIdentifier(name)
    }

    /// SQL for `expression`'s version as versions compare: leading zeros of each component dropped and
    /// `_` read as `.`, so `0001`, `1` and `01` are one version, as are `1_2` and `1.02`
    /// (`canonicalSpelling(_:)` computes the same in Swift).
    private static func canonical(_ expression: String) -> String {
        "translate(regexp_replace(\(expression), '(^|[._])0+([0-9])', '\\1\\2', 'g'), '_', '.')"
    }

    /// Creates the history table (with `applied_order`) and its events record when the table does not
    /// exist yet. An existing table is left as it is: altering it takes an ACCESS EXCLUSIVE lock and
    /// its owner's rights, so `upgrade(on:)` does that, once the migration lock is held.
    func create(on connection: PostgresConnection) throws {
        guard try !exists(qualifiedName, on: connection) else { return }
        var sql = ""
        if let schema { sql += "CREATE SCHEMA IF NOT EXISTS \(quoteIdentifier(schema));\n" }
        sql += """
            CREATE TABLE IF NOT EXISTS \(qualifiedName) (
                version text PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL,
                execution_ms integer NOT NULL,
                applied_by text NOT NULL,
                git_commit text,
                state text NOT NULL CHECK (state IN ('applied', 'dirty')),
                completed_statements text[] NOT NULL DEFAULT '{}',
                applied_order bigint
            )
            """
        try createTolerantly(sql, on: connection)
        try createEvents(on: connection)
    }

    /// Whether the relation `name` (qualified and quoted) exists.
    private func exists(_ name: String, on connection: PostgresConnection) throws -> Bool {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL", parameters: [name]).value(row: 0, column: 0) == "t"
    }

    func rows(on connection: PostgresConnection) throws -> [AppliedMigration] {
        guard try exists(qualifiedName, on: connection) else { return [] }
        // A table an earlier mig created has no applied_order until a run upgrades it.
        let order = try hasAppliedOrder(on: connection) ? "applied_order" : "NULL"
        let result = try connection.execute(
            """
            SELECT version, name, checksum, extract(epoch FROM applied_at)::text, execution_ms, applied_by, git_commit,
                   state, array_to_string(completed_statements, ','), \(order)
            FROM \(qualifiedName)
            """, parameters: [])
        return try result.rows.map { row in
            guard let text = row[0], let version = Version(text),
                let state = row[7].flatMap(AppliedMigration.State.init)
            else {
                throw DatabaseError(
                    message:
                        "the history table \(qualifiedName) holds a row mig cannot read (version \(row[0] ?? "NULL"))")
            }
            return AppliedMigration(
                version: version, name: row[1] ?? "", checksum: row[2] ?? "",
                appliedAt: Date(timeIntervalSince1970: Double(row[3] ?? "0") ?? 0),
                executionMilliseconds: Int(row[4] ?? "0") ?? 0, appliedBy: row[5] ?? "", gitCommit: row[6],
                state: state,
                completedStatements: (row[8] ?? "").split(separator: ",").map(String.init),
                appliedOrder: row[9].flatMap { Int64($0) })
        }.sorted { $0.version < $1.version }
    }

    /// The statement that writes `record` under its file's spelling of the version, replacing the row
    /// of any other spelling of it (`1` in the table, `0001` in the file name): one row per version.
    /// A row that replaces another keeps its place in the applied order; a new one comes after every
    /// other. Without `ordered` (a table whose owner has not added `applied_order` yet: `upgrade(on:)`
    /// lacked the rights) the row goes without it. Its values are written as literals, so that it can
    /// go out in one message with others (`PostgresConnection.deferUntilEnd(_:)`).
    ///
    /// With `otherSpellings` false (the caller knows every spelling in the table, and none is another
    /// spelling of this version: `canonicalSpelling(_:)`), the search for them — a scan of the table
    /// with regular expressions, the costliest part of a migration's bookkeeping — is left out; with
    /// `order` too (the row is new, and the caller knows the highest order), so is the scan for the
    /// highest order (`PostgresHistoryKnowledge`), and the row is a plain insert: PostgreSQL plans
    /// one in less time than one with `ON CONFLICT`, which after a migration's DDL was much of its
    /// bookkeeping.
    func insertion(of record: AppliedMigration, ordered: Bool, otherSpellings: Bool = true, order known: Int64? = nil)
        -> String
    {
        let isNew = !otherSpellings && known != nil
        let version = inlineLiteral(record.version.text)
        let deletion = """
            WITH other_spellings AS (
                DELETE FROM \(qualifiedName) WHERE version <> \(version) AND \(Self.sameVersion("version", version))
            )

            """
        let order =
            otherSpellings
            ? Self.appliedOrder(of: version, in: qualifiedName)
            : known.map { "\($0)::bigint" } ?? "(SELECT coalesce(max(applied_order), 0) + 1 FROM \(qualifiedName))"
        return (otherSpellings ? deletion : "") + """
            INSERT INTO \(qualifiedName) AS history
                (version, name, checksum, applied_at, execution_ms, applied_by, git_commit, state, completed_statements
                 \(ordered ? ", applied_order" : ""))
            VALUES (\(version), \(inlineLiteral(record.name)), \(inlineLiteral(record.checksum)),
                    to_timestamp(\(record.appliedAt.timeIntervalSince1970)::double precision),
                    \(record.executionMilliseconds)::integer, \(inlineLiteral(record.appliedBy)),
                    \(inlineLiteral(record.gitCommit)), \(inlineLiteral(record.state.rawValue)),
                    string_to_array(\(inlineLiteral(record.completedStatements.joined(separator: ","))), ',')
                    \(ordered ? ", " + order : ""))
            """ + (isNew ? "" : """

            ON CONFLICT (version) DO UPDATE SET
                name = excluded.name, checksum = excluded.checksum, applied_at = excluded.applied_at,
                execution_ms = excluded.execution_ms, applied_by = excluded.applied_by,
                git_commit = excluded.git_commit, state = excluded.state,
                completed_statements = excluded.completed_statements
                \(ordered ? ", applied_order = coalesce(history.applied_order, excluded.applied_order)" : "")
            """)
    }

    /// What `canonical` makes of the version spelling `text`, computed as PostgreSQL's regular
    /// expression does: where a component starts (the start, or after `.` or `_`), its leading zeros
    /// go, except the last when no other digit follows; then `_` becomes `.`.
    static func canonicalSpelling(_ text: String) -> String {
        let characters = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var start = 0
        func isSeparator(_ index: Int) -> Bool { characters[index] == "." || characters[index] == "_" }
        func emit(_ scalar: Unicode.Scalar) { result.append(scalar == "_" ? "." : scalar) }
        /// The match of `0+([0-9])` from `index`: its digit and where it ends.
        func zeros(from index: Int) -> (digit: Unicode.Scalar, end: Int)? {
            var end = index
            while end < characters.count, characters[end] == "0" { end += 1 }
            let run = end - index
            if run >= 1, end < characters.count, ("1"..."9").contains(characters[end]) {
                return (characters[end], end + 1)
            }
            return run >= 2 ? ("0", end) : nil
        }
        while start < characters.count {
            if start == 0, let match = zeros(from: 0) {
                emit(match.digit)
                start = match.end
            } else if isSeparator(start), let match = zeros(from: start + 1) {
                emit(characters[start])
                emit(match.digit)
                start = match.end
            } else {
                emit(characters[start])
                start += 1
            }
        }
        return String(result)
    }

    /// SQL that is true when the versions `left` and `right` (expressions) compare equal. The cheap
    /// `translate` comparison comes first: versions that compare equal have the same characters once
    /// every `0`, `.` and `_` is dropped, so it rules out almost every row before the regular
    /// expressions of `canonical` run (PostgreSQL keeps the order of equally costly conditions).
    private static func sameVersion(_ left: String, _ right: String) -> String {
        "translate(\(left), '0._', '') = translate(\(right), '0._', '') AND \(canonical(left)) = \(canonical(right))"
    }

    /// The applied order a row of `version` gets: that of the row of any spelling of it already in the
    /// table, else one more than the highest.
    private static func appliedOrder(of version: String, in table: String) -> String {
        """
        coalesce(
            (SELECT min(applied_order) FROM \(table) WHERE \(sameVersion("version", version))),
            (SELECT coalesce(max(applied_order), 0) + 1 FROM \(table)))
        """
    }

    // MARK: - Applied order and events

    /// The events record (`HistoryEvent`), next to the history table.
    var eventsTable: String { qualify(HistoryEvent.tableName(besides: table)) }

    /// What writing to the history needs to know of its tables.
    struct Shape {
        /// The history table has the `applied_order` column.
        let hasAppliedOrder: Bool
        /// The events record exists.
        let hasEvents: Bool
    }

    /// The tables' shape now, in one query.
    func shape(on connection: PostgresConnection) throws -> Shape {
        let result = try connection.execute(
            """
            SELECT to_regclass($2) IS NOT NULL, EXISTS (
                SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass($1) AND attname = 'applied_order' AND NOT attisdropped)
            """, parameters: [qualifiedName, eventsTable])
        return Shape(hasAppliedOrder: result.value(row: 0, column: 1) == "t", hasEvents: result.value(row: 0, column: 0) == "t")
    }

    private func hasAppliedOrder(on connection: PostgresConnection) throws -> Bool {
        let result = try connection.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'applied_order' AND NOT attisdropped",
            parameters: [qualifiedName])
        return !result.rows.isEmpty
    }

    /// Brings a history table an earlier mig created up to date, once the migration lock is held (never
    /// on a dry run or a read): adds `applied_order` and numbers every row without one after the
    /// numbered ones, by `applied_at` then version as versions compare (`AppliedMigration.inAppliedOrder`),
    /// in one short transaction; then creates the events record when missing. A role without the
    /// rights (ALTER needs the table's owner, the events record CREATE on the schema) carries on
    /// without them: the returned warnings name the statement an owner must run.
    func upgrade(on connection: PostgresConnection) throws -> [String] {
        guard try exists(qualifiedName, on: connection) else { return [] }
        var warnings: [String] = []
        let alter = "ALTER TABLE \(qualifiedName) ADD COLUMN IF NOT EXISTS applied_order bigint"
        do {
            try number(alter: try hasAppliedOrder(on: connection) ? nil : alter, on: connection)
        } catch let error as DatabaseError where error.code == Self.insufficientPrivilege {
            warnings.append(
                "\(qualifiedName) has no applied_order column and this role may not add it (\(error.message)): "
                    + "`down` orders its rows by applied_at; have the table's owner run `\(alter);` once")
        }
        if try !exists(eventsTable, on: connection) {
            do {
                try createEvents(on: connection)
            } catch let error as DatabaseError where error.code == Self.insufficientPrivilege {
                warnings.append(
                    "the events record \(eventsTable) does not exist and this role may not create it "
                        + "(\(error.message)): nothing is added to `mig log`; have a role with CREATE on the "
                        + "schema run `\(eventsDDL);` once")
            }
        }
        return warnings
    }

    /// PostgreSQL's SQLSTATE for a statement the role has not the rights to run.
    private static let insufficientPrivilege = "42501"

    /// Numbers the rows without an applied order, after `alter` when given; one statement list, so
    /// one transaction.
    private func number(alter: String?, on connection: PostgresConnection) throws {
        let key = "string_to_array(translate(translate(version, '-', ''), '_', '.'), '.')::numeric[]"
        let alter = alter.map { $0 + ";\n" } ?? ""
        let number = """
            UPDATE \(qualifiedName) AS history SET applied_order = numbered.n
            FROM (
                SELECT version,
                       (SELECT coalesce(max(applied_order), 0) FROM \(qualifiedName))
                       + row_number() OVER (ORDER BY applied_at, \(key)) AS n
                FROM \(qualifiedName) WHERE applied_order IS NULL
            ) AS numbered
            WHERE history.version = numbered.version
            """
        do {
            try connection.execute(alter + number)
        } catch {
            throw error.error
        }
    }

    /// Its `id` is one more than the highest (rows are only appended, under the migration lock), not
    /// an identity column: a sequence of mig's own would show in every schema comparison.
    private func createEvents(on connection: PostgresConnection) throws {
        try createTolerantly(eventsDDL, on: connection)
    }

    /// The events record's `CREATE TABLE`. `database_user` is the role that logged in
    /// (`session_user`): a migration's `SET ROLE` does not change who wrote the line.
    private var eventsDDL: String {
        """
        CREATE TABLE IF NOT EXISTS \(eventsTable) (
            id bigint PRIMARY KEY,
            version text,
            name text NOT NULL,
            event text NOT NULL,
            checksum text,
            occurred_at timestamptz NOT NULL,
            by_user text NOT NULL,
            database_user text NOT NULL DEFAULT session_user,
            git_commit text,
            detail text
        )
        """
    }

    /// The statement that appends `event`, its values written as literals (see `insertion(of:ordered:)`);
    /// the database user is the role that logged in (`session_user`). Its `id` is the one given (the
    /// caller knows the highest: `PostgresHistoryKnowledge`), else one more than the highest in the
    /// table. Only for a database whose events record exists (its creation may have needed rights
    /// this role lacks; `upgrade(on:)` warned).
    func insertion(of event: HistoryEvent, id: Int64? = nil) -> String {
        """
        INSERT INTO \(eventsTable)
            (id, version, name, event, checksum, occurred_at, by_user, database_user, git_commit, detail)
        VALUES (\(id.map { "\($0)::bigint" } ?? "(SELECT coalesce(max(id), 0) + 1 FROM \(eventsTable))"), \(inlineLiteral(event.version)),
                \(inlineLiteral(event.name)), \(inlineLiteral(event.kind.rawValue)), \(inlineLiteral(event.checksum)),
                to_timestamp(\(event.at.timeIntervalSince1970)::double precision), \(inlineLiteral(event.by)),
                session_user, \(inlineLiteral(event.gitCommit)), \(inlineLiteral(event.detail)))
        """
    }

    /// The highest id in the events record, 0 when it is empty.
    func highestEventID(on connection: PostgresConnection) throws -> Int64? {
        let result = try connection.execute("SELECT coalesce(max(id), 0) FROM \(eventsTable)", parameters: [])
        return result.value(row: 0, column: 0).flatMap { Int64($0) }
    }

    /// The events record, oldest first; none when it does not exist.
    func events(on connection: PostgresConnection) throws -> [HistoryEvent] {
        guard try exists(eventsTable, on: connection) else { return [] }
        let result = try connection.execute(
            """
            SELECT id, version, name, event, checksum, extract(epoch FROM occurred_at)::text, by_user, database_user,
                   git_commit, detail
            FROM \(eventsTable) ORDER BY id
            """, parameters: [])
        return try result.rows.map { row in
            guard let kind = row[3].flatMap(HistoryEvent.Kind.init(rawValue:)) else {
                throw DatabaseError(
                    message: "the events record \(eventsTable) has a row mig cannot read (id \(row[0] ?? "NULL")); "
                        + "mig only appends rows it can read: was it edited by hand?")
            }
            return HistoryEvent(
                id: row[0].flatMap { Int64($0) }, version: row[1], name: row[2] ?? "", kind: kind, checksum: row[4],
                at: Date(timeIntervalSince1970: Double(row[5] ?? "0") ?? 0), by: row[6] ?? "", databaseUser: row[7],
                gitCommit: row[8], detail: row[9])
        }
    }

    /// The repeatables table's rows, by name; none when the table does not exist.
    func repeatables(on connection: PostgresConnection) throws -> [AppliedRepeatable] {
        guard try exists(repeatablesTable, on: connection) else { return [] }
        let result = try connection.execute(
            """
            SELECT name, checksum, extract(epoch FROM applied_at)::text, execution_ms, applied_by, git_commit
            FROM \(repeatablesTable) ORDER BY name
            """, parameters: [])
        return result.rows.map { row in
            AppliedRepeatable(
                name: row[0] ?? "", checksum: row[1] ?? "",
                appliedAt: Date(timeIntervalSince1970: Double(row[2] ?? "0") ?? 0),
                executionMilliseconds: Int(row[3] ?? "0") ?? 0, appliedBy: row[4] ?? "", gitCommit: row[5])
        }
    }

    /// Creates the repeatables table when needed and writes `record` as the row of its name.
    func record(_ record: AppliedRepeatable, on connection: PostgresConnection) throws {
        try createTolerantly(
            """
            CREATE TABLE IF NOT EXISTS \(repeatablesTable) (
                name text PRIMARY KEY,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL,
                execution_ms integer NOT NULL,
                applied_by text NOT NULL,
                git_commit text
            )
            """, on: connection)
        try connection.execute(
            """
            INSERT INTO \(repeatablesTable) (name, checksum, applied_at, execution_ms, applied_by, git_commit)
            VALUES ($1, $2, to_timestamp($3::double precision), $4::integer, $5, $6)
            ON CONFLICT (name) DO UPDATE SET
                checksum = excluded.checksum, applied_at = excluded.applied_at, execution_ms = excluded.execution_ms,
                applied_by = excluded.applied_by, git_commit = excluded.git_commit
            """,
            parameters: [
                record.name, record.checksum, String(record.appliedAt.timeIntervalSince1970),
                String(record.executionMilliseconds), record.appliedBy, record.gitCommit,
            ])
    }

    /// The statement that deletes the rows of `version` as versions compare (`0003` is `3`), whatever
    /// their spelling (its value a literal, see `insertion(of:ordered:)`).
    func removal(of version: Version) -> String {
        "DELETE FROM \(qualifiedName) WHERE \(Self.sameVersion("version", inlineLiteral(version.text)))"
    }

    /// Runs `CREATE … IF NOT EXISTS` SQL; two deployers creating the same object at once make
    /// PostgreSQL report a duplicate for the loser (a unique violation in the catalogs, or "already
    /// exists" for the relation, the schema or the table's row type), which only means it now exists.
    func createTolerantly(_ sql: String, on connection: PostgresConnection) throws {
        do {
            try connection.execute(sql)
        } catch {
            guard ["23505", "42P07", "42P06", "42710"].contains(error.error.code) else { throw error.error }
        }
    }
}

/// `'text'` with embedded quotes doubled: a string constant (with `standard_conforming_strings` on, the
/// default since PostgreSQL 9.1, and mig never turns it off).
func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}

/// `E'text'` with backslashes and quotes doubled, or `NULL`: a string constant whatever the session's
/// `standard_conforming_strings`, which a migration may have changed before mig's own statements run
/// in its transaction.
func inlineLiteral(_ text: String?) -> String {
    guard let text else { return "NULL" }
    var literal = "E'"
    literal.reserveCapacity(text.utf8.count + 3)
    for scalar in text.unicodeScalars {
        if scalar == "\\" || scalar == "'" { literal.unicodeScalars.append(scalar) }
        literal.unicodeScalars.append(scalar)
    }
    literal.unicodeScalars.append("'")
    return literal
}

/// `"name"` with embedded quotes doubled: an identifier PostgreSQL takes literally.
func quoteIdentifier(_ name: String) -> String {
    var quoted = "\""
    quoted.reserveCapacity(name.utf8.count + 2)
    for scalar in name.unicodeScalars {
        if scalar == "\"" { quoted.unicodeScalars.append(scalar) }
        quoted.unicodeScalars.append(scalar)
    }
    quoted.unicodeScalars.append("\"")
    return quoted
}
