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
        [table, table + "_lock", table + "_events", AppliedRepeatable.tableName(besides: table)]
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
    /// `_` read as `.`, so `0001`, `1` and `01` are one version, as are `1_2` and `1.02`.
    private static func canonical(_ expression: String) -> String {
        "translate(regexp_replace(\(expression), '(^|[._])0+([0-9])', '\\1\\2', 'g'), '_', '.')"
    }

    func create(on connection: PostgresConnection) throws {
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
                completed_statements text[] NOT NULL DEFAULT '{}'
            )
            """
        try createTolerantly(sql, on: connection)
    }

    func rows(on connection: PostgresConnection) throws -> [AppliedMigration] {
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", parameters: [qualifiedName])
        guard exists.value(row: 0, column: 0) == "t" else { return [] }
        let result = try connection.execute(
            """
            SELECT version, name, checksum, extract(epoch FROM applied_at)::text, execution_ms, applied_by, git_commit,
                   state, array_to_string(completed_statements, ',')
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
                completedStatements: (row[8] ?? "").split(separator: ",").map(String.init))
        }.sorted { $0.version < $1.version }
    }

    /// Writes `record` under its file's spelling of the version, replacing the row of any other
    /// spelling of it (`1` in the table, `0001` in the file name): one row per version.
    func record(_ record: AppliedMigration, on connection: PostgresConnection) throws {
        try connection.execute(
            """
            WITH other_spellings AS (
                DELETE FROM \(qualifiedName) WHERE version <> $1 AND \(Self.canonical("version")) = \(Self.canonical("$1"))
            )
            INSERT INTO \(qualifiedName)
                (version, name, checksum, applied_at, execution_ms, applied_by, git_commit, state, completed_statements)
            VALUES ($1, $2, $3, to_timestamp($4::double precision), $5::integer, $6, $7, $8, string_to_array($9, ','))
            ON CONFLICT (version) DO UPDATE SET
                name = excluded.name, checksum = excluded.checksum, applied_at = excluded.applied_at,
                execution_ms = excluded.execution_ms, applied_by = excluded.applied_by,
                git_commit = excluded.git_commit, state = excluded.state,
                completed_statements = excluded.completed_statements
            """,
            parameters: [
                record.version.text, record.name, record.checksum, String(record.appliedAt.timeIntervalSince1970),
                String(record.executionMilliseconds), record.appliedBy, record.gitCommit, record.state.rawValue,
                record.completedStatements.joined(separator: ","),
            ])
    }

    /// The repeatables table's rows, by name; none when the table does not exist.
    func repeatables(on connection: PostgresConnection) throws -> [AppliedRepeatable] {
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", parameters: [repeatablesTable])
        guard exists.value(row: 0, column: 0) == "t" else { return [] }
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

    /// Deletes the rows of `version` as versions compare (`0003` is `3`), whatever their spelling.
    func remove(version: Version, on connection: PostgresConnection) throws {
        try connection.execute(
            "DELETE FROM \(qualifiedName) WHERE \(Self.canonical("version")) = \(Self.canonical("$1"))",
            parameters: [version.text])
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

/// `"name"` with embedded quotes doubled: an identifier PostgreSQL takes literally.
func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
