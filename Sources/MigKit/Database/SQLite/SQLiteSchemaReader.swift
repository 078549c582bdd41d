/// Reads a SQLite database's schema into an engine-neutral `SchemaSnapshot`.
///
/// Tables, columns, indexes and foreign keys come from the `pragma_*` table-valued functions
/// joined with `sqlite_schema` (a handful of queries however many tables there are); views and
/// triggers from their SQL, normalised. The history table and SQLite's own tables are left out.
struct SQLiteSchemaReader {
    let connection: SQLiteConnection
    let historyTable: String

    /// The user tables, as a sub-query the other queries join with.
    private static let tables = """
        SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?1
        """

    func snapshot() throws(DatabaseError) -> SchemaSnapshot {
        var details: [String: [String]] = [:]
        for (table, line) in try columns() + foreignKeys() + tableIndexes() { details[table, default: []].append(line) }
        var objects = details.map { SchemaSnapshot.Object(kind: "table", name: $0.key, details: $0.value.sorted()) }
        // Tables without columns cannot exist, but an empty details list keeps the table visible regardless.
        objects += try indexes() + viewsAndTriggers()
        return SchemaSnapshot(objects: objects)
    }

    private func query<Row>(_ sql: String, _ row: (SQLiteStatement) -> Row) throws(DatabaseError) -> [Row] {
        let statement = try connection.prepare(sql)
        try statement.bind([.text(historyTable)])
        return try statement.rows(row)
    }

    private func columns() throws(DatabaseError) -> [(String, String)] {
        try query(
            """
            SELECT t.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden
            FROM (\(Self.tables)) AS t JOIN pragma_table_xinfo(t.name) AS c
            """
        ) { row in
            var line = "column \(row.text(1) ?? "") \(SQLNormalizer.normalize(row.text(2) ?? ""))"
            if row.integer(3) != 0 { line += " not null" }
            if let value = row.text(4) { line += " default \(SQLNormalizer.normalize(value))" }
            if row.integer(5) != 0 { line += " primary key \(row.integer(5))" }
            if row.integer(6) != 0 { line += " generated" }
            return (row.text(0) ?? "", line)
        }
    }

    private func foreignKeys() throws(DatabaseError) -> [(String, String)] {
        let rows = try query(
            """
            SELECT t.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete
            FROM (\(Self.tables)) AS t JOIN pragma_foreign_key_list(t.name) AS f
            ORDER BY t.name, f.id, f.seq
            """
        ) { row in
            (table: row.text(0) ?? "", id: row.integer(1), target: row.text(2) ?? "", from: row.text(3) ?? "",
             to: row.text(4), onUpdate: row.text(5) ?? "", onDelete: row.text(6) ?? "")
        }
        let groups = Dictionary(grouping: rows) { "\($0.table)\u{0}\($0.id)" }
        return groups.values.map { keys in
            let first = keys[0]
            let to = keys.compactMap(\.to)
            let line = "foreign key (\(keys.map(\.from).joined(separator: ", "))) references \(first.target)"
                + (to.isEmpty ? "" : " (\(to.joined(separator: ", ")))")
                + " on update \(first.onUpdate.lowercased()) on delete \(first.onDelete.lowercased())"
            return (first.table, line)
        }
    }

    /// Index key columns by index name, in key order (`name`, `name desc`, or `<expression>`).
    private func indexColumns() throws(DatabaseError) -> [String: [String]] {
        let rows = try query(
            """
            SELECT i.name, x.name, x."desc", x.coll
            FROM (\(Self.tables)) AS t JOIN pragma_index_list(t.name) AS i JOIN pragma_index_xinfo(i.name) AS x
            WHERE x.key = 1 ORDER BY i.name, x.seqno
            """
        ) { row in
            var column = row.text(1) ?? "<expression>"
            if let collation = row.text(3), collation != "BINARY" { column += " collate \(collation.lowercased())" }
            if row.integer(2) != 0 { column += " desc" }
            return (row.text(0) ?? "", column)
        }
        return Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
    }

    private struct IndexRow {
        let table: String
        let name: String
        let unique: Bool
        let origin: String
        let sql: String?
    }

    private func indexRows() throws(DatabaseError) -> [IndexRow] {
        try query(
            """
            SELECT t.name, i.name, i."unique", i.origin, s.sql
            FROM (\(Self.tables)) AS t JOIN pragma_index_list(t.name) AS i
            LEFT JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = i.name
            """
        ) { row in
            IndexRow(
                table: row.text(0) ?? "", name: row.text(1) ?? "", unique: row.integer(2) != 0,
                origin: row.text(3) ?? "", sql: row.text(4))
        }
    }

    /// Indexes SQLite made for UNIQUE and PRIMARY KEY constraints have generated names, so they
    /// are facts of their table rather than objects of their own.
    private func tableIndexes() throws(DatabaseError) -> [(String, String)] {
        let columns = try indexColumns()
        return try indexRows().filter { $0.origin != "c" }.map { index in
            let kind = index.origin == "pk" ? "primary key" : "unique"
            return (index.table, "\(kind) (\((columns[index.name] ?? []).joined(separator: ", ")))")
        }
    }

    private func indexes() throws(DatabaseError) -> [SchemaSnapshot.Object] {
        let columns = try indexColumns()
        return try indexRows().filter { $0.origin == "c" }.map { index in
            var details = ["on \(index.table) (\((columns[index.name] ?? []).joined(separator: ", ")))"]
            if index.unique { details.append("unique") }
            if let sql = index.sql, let clause = SQLNormalizer.whereClause(of: sql) { details.append(clause) }
            return SchemaSnapshot.Object(kind: "index", name: index.name, details: details)
        }
    }

    private func viewsAndTriggers() throws(DatabaseError) -> [SchemaSnapshot.Object] {
        try query(
            """
            SELECT type, name, tbl_name, sql FROM sqlite_schema
            WHERE type IN ('view', 'trigger') AND tbl_name <> ?1
            """
        ) { row in
            let kind = row.text(0) ?? ""
            var details = [SQLNormalizer.normalize(row.text(3) ?? "")]
            if kind == "trigger" { details.insert("on \(row.text(2) ?? "")", at: 0) }
            return SchemaSnapshot.Object(kind: kind, name: row.text(1) ?? "", details: details)
        }
    }

    /// `name` as a SQLite identifier: in double quotes, inner quotes doubled.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
