/// Reads a PostgreSQL database's schema from the system catalogs into a `SchemaSnapshot`.
///
/// Covers what migrations change: tables (columns with type, nullability and default; constraints),
/// indexes, views, functions, triggers, sequences and enum types, in every schema except the system
/// ones. Definitions come from the server's own deparsers (`pg_get_indexdef`, `pg_get_viewdef`, …)
/// with white space collapsed, so two databases that reached the same schema by different routes
/// compare equal. Objects in `public` are named without their schema.
struct PostgresSchemaReader {
    let connection: PostgresConnection
    /// Table names left out (mig's history and lock tables).
    let excluding: Set<String>

    private static let userSchemas = """
        n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
        AND n.nspname NOT LIKE 'pg\\_temp%'
        """
    /// Leaves out objects that belong to an extension (they come with `CREATE EXTENSION`); for an
    /// index, a trigger or a constraint, `column` is its table, which belongs to the extension.
    private static func notFromExtension(_ column: String, catalog: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '\(catalog)'::regclass AND d.objid = \(column) AND d.deptype = 'e')"
    }

    /// Leaves out the sequence behind a `GENERATED … AS IDENTITY` column (an internal dependency):
    /// the column's `generated … as identity` already says it, and `CREATE TABLE` makes it.
    /// A `serial` column's sequence stays an object: its default names it, so it must exist first.
    private static func notOwnedByIdentity(_ column: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = \(column) AND d.deptype = 'i')"
    }

    /// The search path the definitions are deparsed under, so that how a name is written (with or
    /// without its schema) depends on neither session: the live database's nor the shadow's.
    static let searchPath = "pg_catalog, public"

    func snapshot() throws -> SchemaSnapshot {
        try pinningSearchPath { try readObjects() }
    }

    /// The facts of the table `name` in `schema` as the server deparses them, white space kept.
    func rawDetails(schema: String, table name: String) throws -> [String]? {
        try pinningSearchPath { try tables(only: (schema, name), normalising: false).first?.details }
    }

    /// Runs `body` with the session's search path set to `searchPath`, then puts the session's back.
    private func pinningSearchPath<T>(_ body: () throws -> T) throws -> T {
        let previous = try connection.execute("SELECT current_setting('search_path')", parameters: []).rows.first?
            .first ?? nil
        _ = try connection.execute("SELECT set_config('search_path', $1, false)", parameters: [Self.searchPath])
        defer { _ = try? connection.execute("SELECT set_config('search_path', $1, false)", parameters: [previous]) }
        return try body()
    }

    private func readObjects() throws -> SchemaSnapshot {
        var objects: [SchemaSnapshot.Object] = []
        objects += try tables()
        objects += try query(
            kind: "index",
            """
            SELECT n.nspname, c.relname, pg_get_indexdef(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid
            WHERE c.relkind IN ('i', 'I') AND \(Self.userSchemas) AND t.relname <> ALL($1::text[])
              AND \(Self.notFromExtension("t.oid", catalog: "pg_class"))
            """)
        objects += try query(
            kind: "view",
            """
            SELECT n.nspname, c.relname, CASE c.relkind WHEN 'm' THEN 'materialized ' ELSE '' END || pg_get_viewdef(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('v', 'm') AND \(Self.userSchemas) AND c.relname <> ALL($1::text[])
              AND \(Self.notFromExtension("c.oid", catalog: "pg_class"))
            """)
        objects += try query(
            kind: "function", excludingTables: false,
            """
            SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.prokind IN ('f', 'p') AND \(Self.userSchemas)
              AND \(Self.notFromExtension("p.oid", catalog: "pg_proc"))
            """)
        objects += try query(
            kind: "trigger",
            """
            SELECT n.nspname, c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND \(Self.userSchemas) AND c.relname <> ALL($1::text[])
              AND \(Self.notFromExtension("c.oid", catalog: "pg_class"))
            """)
        objects += try query(
            kind: "sequence", excludingTables: false,
            """
            SELECT n.nspname, c.relname,
                   format('%s start %s increment %s min %s max %s cache %s%s', format_type(s.seqtypid, NULL), s.seqstart,
                          s.seqincrement, s.seqmin, s.seqmax, s.seqcache, CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END)
            FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(Self.userSchemas)
              AND \(Self.notFromExtension("c.oid", catalog: "pg_class"))
              AND \(Self.notOwnedByIdentity("c.oid"))
            """)
        objects += try query(
            kind: "enum", excludingTables: false,
            """
            SELECT n.nspname, t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
            WHERE \(Self.userSchemas) AND \(Self.notFromExtension("t.oid", catalog: "pg_type"))
            GROUP BY n.nspname, t.typname
            """)
        return SchemaSnapshot(objects: objects)
    }

    /// One object per row of `sql`, which selects schema, name and one definition; with
    /// `excludingTables`, `$1` is the array of table names to leave out.
    private func query(kind: String, excludingTables: Bool = true, _ sql: String) throws -> [SchemaSnapshot.Object] {
        try connection.execute(sql, parameters: excludingTables ? [excludedArray] : []).rows.map { row in
            SchemaSnapshot.Object(
                kind: kind, name: Self.name(schema: row[0], row[1]), details: [Self.normalise(row[2] ?? "")])
        }
    }

    /// Every table with its columns and constraints; with `table` (schema and name) only that one.
    /// `normalising` collapses white space, for comparison; without it the facts are as the server
    /// deparses them, for a repair to copy (`'a  b'` keeps both spaces).
    func tables(only table: (schema: String, name: String)? = nil, normalising: Bool = true) throws
        -> [SchemaSnapshot.Object]
    {
        let parameters = [excludedArray, table?.schema, table?.name]
        let onlyTable = "($2::text IS NULL OR (n.nspname = $2 AND c.relname = $3))"
        let columns = try connection.execute(
            """
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
            WHERE c.relkind IN ('r', 'p') AND \(Self.userSchemas) AND c.relname <> ALL($1::text[])
              AND \(Self.notFromExtension("c.oid", catalog: "pg_class")) AND \(onlyTable)
            ORDER BY n.nspname, c.relname, a.attnum
            """, parameters: parameters)
        let constraints = try connection.execute(
            """
            SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(Self.userSchemas) AND c.relname <> ALL($1::text[])
              AND \(Self.notFromExtension("c.oid", catalog: "pg_class")) AND \(onlyTable)
            ORDER BY 1, 2, 3
            """, parameters: parameters)
        let finish = normalising ? Self.normalise : { $0 }
        var details: [String: [String]] = [:]
        var order: [String] = []
        for row in columns.rows {
            let name = Self.name(schema: row[0], row[1])
            if details[name] == nil { order.append(name) }
            var line = "column \(DetailName.spelled(row[2] ?? "")) \(row[3] ?? "")"
            if row[4] == "t" { line += " not null" }
            switch (row[6], row[7]) {
            case ("a", _): line += " generated always as identity"
            case ("d", _): line += " generated by default as identity"
            case (_, "s"): line += " generated always as (\(row[5] ?? "")) stored"
            default: if let expression = row[5] { line += " default \(expression)" }
            }
            details[name, default: []].append(finish(line))
        }
        for row in constraints.rows {
            let name = Self.name(schema: row[0], row[1])
            details[name, default: []].append(
                finish("constraint \(DetailName.spelled(row[2] ?? "")) \(row[3] ?? "")"))
        }
        return order.map { SchemaSnapshot.Object(kind: "table", name: $0, details: details[$0] ?? []) }
    }

    private var excludedArray: String {
        "{"
            + excluding.sorted().map {
                "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    + "\""
            }.joined(separator: ",") + "}"
    }

    private static func name(schema: String?, _ name: String?) -> String {
        let name = name ?? ""
        guard let schema, schema != "public" else { return name }
        return "\(schema).\(name)"
    }

    /// Runs of white space become one space.
    static func normalise(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
