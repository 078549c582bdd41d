/// Reads a SQLite database's schema into an engine-neutral `SchemaSnapshot`.
///
/// SQLite keeps its whole schema as the SQL text in `sqlite_schema`, and everything the
/// `pragma_*` functions report about a table, index, view or trigger follows from that text.
/// So each object is read once through the pragmas (columns with type, nullability, default and
/// primary key; foreign keys; UNIQUE and PRIMARY KEY constraints; index columns) and remembered
/// under its text: a roundtrip that snapshots the schema after every one of a thousand
/// migrations re-reads only what changed. The history table and SQLite's own tables are left out.
final class SQLiteSchemaReader {
    let connection: SQLiteConnection
    let historyTable: String
    /// Objects already read, by their kind, name and SQL text (and their table's, for an index).
    private var cache: [String: SchemaSnapshot.Object] = [:]
    /// The same objects' hashes for `digest()`, by a hash of that text.
    private var objectHashes: [Int: Int] = [:]

    init(connection: SQLiteConnection, historyTable: String) {
        self.connection = connection
        self.historyTable = historyTable
    }

    private struct Row {
        let kind: String
        let name: String
        let table: String
        let sql: String
    }

    func snapshot() throws(DatabaseError) -> SchemaSnapshot {
        let statement = try schemaRows()
        let rows = try statement.rows {
            Row(kind: $0.text(0) ?? "", name: $0.text(1) ?? "", table: $0.text(2) ?? "", sql: $0.text(3) ?? "")
        }
        let tableSQL = Dictionary(
            rows.filter { $0.kind == "table" }.map { ($0.name, $0.sql) }, uniquingKeysWith: { a, _ in a })
        var objects: [SchemaSnapshot.Object] = []
        objects.reserveCapacity(rows.count)
        for row in rows {
            let key = [row.kind, row.name, row.sql, row.kind == "index" ? tableSQL[row.table] ?? "" : ""]
                .joined(separator: "\u{0}")
            if let known = cache[key] {
                objects.append(known)
                continue
            }
            let object = try self.object(row)
            cache[key] = object
            objects.append(object)
        }
        return SchemaSnapshot(objects: objects)
    }

    /// The object of one `sqlite_schema` row, read through the pragmas.
    private func object(_ row: Row) throws(DatabaseError) -> SchemaSnapshot.Object {
        switch row.kind {
        case "table": try table(row.name)
        case "index": try index(row)
        case "trigger":
            .init(kind: "trigger", name: row.name, details: ["on \(row.table)", SQLNormalizer.normalize(row.sql)])
        default: .init(kind: row.kind, name: row.name, details: [SQLNormalizer.normalize(row.sql)])
        }
    }

    /// The rows of `sqlite_schema` that make the schema (or the one of object `name`): type,
    /// name, table and SQL text.
    private func schemaRows(named name: String? = nil) throws(DatabaseError) -> SQLiteStatement {
        let statement = try connection.prepare(
            """
            SELECT type, name, tbl_name, sql FROM sqlite_schema
            WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT IN (?, ?, ?)
            """ + (name == nil ? "" : " AND name = ?"))
        // mig's own tables: the history, the repeatables' runs and the history's events.
        let own: [SQLiteValue] = [
            .text(historyTable), .text(AppliedRepeatable.tableName(besides: historyTable)),
            .text(HistoryEvent.tableName(besides: historyTable)),
        ]
        try statement.bind(own + (name.map { [.text($0)] } ?? []))
        return statement
    }

    /// A digest of the schema, in this process: the sum of one hash per object of the snapshot,
    /// so equal snapshots give equal digests whatever the order or spelling of `sqlite_schema`.
    /// Each object's hash is remembered under a hash of its row's text (and its table's, for an
    /// index), so a step of a roundtrip costs one scan of `sqlite_schema` and reads through the
    /// pragmas only the objects whose text is new.
    func digest() throws(DatabaseError) -> Int {
        let statement = try schemaRows()
        var rows: [(kind: String, name: String, table: String, text: Int)] = []
        var tableTexts: [String: Int] = [:]
        while try statement.step() {
            var hasher = Hasher()
            for column in Int32(0)..<4 { statement.hash(column, into: &hasher) }
            let row = (kind: statement.text(0) ?? "", name: statement.text(1) ?? "", table: statement.text(2) ?? "",
                text: hasher.finalize())
            if row.kind == "table" { tableTexts[row.name] = row.text }
            rows.append(row)
        }
        var digest = 0
        for row in rows {
            let key = row.kind == "index" ? Self.combined(row.text, tableTexts[row.table] ?? 0) : row.text
            if let known = objectHashes[key] {
                digest &+= known
                continue
            }
            let read = try schemaRows(named: row.name).rows {
                Row(kind: $0.text(0) ?? "", name: $0.text(1) ?? "", table: $0.text(2) ?? "", sql: $0.text(3) ?? "")
            }
            guard let found = read.first else { continue }
            let hash = try object(found).hashValue
            objectHashes[key] = hash
            digest &+= hash
        }
        return digest
    }

    private static func combined(_ first: Int, _ second: Int) -> Int {
        var hasher = Hasher()
        hasher.combine(first)
        hasher.combine(second)
        return hasher.finalize()
    }

    private func query<Result>(_ sql: String, _ argument: String, _ row: (SQLiteStatement) -> Result)
        throws(DatabaseError) -> [Result]
    {
        let statement = try connection.prepare(sql)
        try statement.bind([.text(argument)])
        return try statement.rows(row)
    }

    // MARK: - Tables

    private func table(_ name: String) throws(DatabaseError) -> SchemaSnapshot.Object {
        let columns = try query(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)", name
        ) { row in
            var line = "column \(DetailName.spelled(row.text(0) ?? "")) \(SQLNormalizer.normalize(row.text(1) ?? ""))"
            if row.integer(2) != 0 { line += " not null" }
            if let value = row.text(3) { line += " default \(SQLNormalizer.normalize(value))" }
            if row.integer(4) != 0 { line += " primary key \(row.integer(4))" }
            if row.integer(5) != 0 { line += " generated" }
            return line
        }
        // Indexes SQLite made for UNIQUE and PRIMARY KEY constraints have generated names, so
        // they are facts of their table rather than objects of their own.
        let constraints = try query(
            "SELECT name, origin FROM pragma_index_list(?) WHERE origin <> 'c'", name
        ) { (name: $0.text(0) ?? "", kind: $0.text(1) == "pk" ? "primary key" : "unique") }
        var details = columns + (try foreignKeys(name))
        for constraint in constraints {
            details.append("\(constraint.kind) (\(try indexColumns(constraint.name).joined(separator: ", ")))")
        }
        return SchemaSnapshot.Object(kind: "table", name: name, details: details.sorted())
    }

    private func foreignKeys(_ table: String) throws(DatabaseError) -> [String] {
        let rows = try query(
            "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            table
        ) { row in
            (
                id: row.integer(0), target: row.text(1) ?? "", from: row.text(2) ?? "", to: row.text(3),
                onUpdate: row.text(4) ?? "", onDelete: row.text(5) ?? ""
            )
        }
        return Dictionary(grouping: rows, by: \.id).values.map { keys in
            let first = keys[0]
            let to = keys.compactMap(\.to)
            return "foreign key (\(keys.map(\.from).joined(separator: ", "))) references \(first.target)"
                + (to.isEmpty ? "" : " (\(to.joined(separator: ", ")))")
                + " on update \(first.onUpdate.lowercased()) on delete \(first.onDelete.lowercased())"
        }
    }

    // MARK: - Indexes

    /// Key columns in key order: `name`, `name desc`, `name collate nocase`, or `<expression>`.
    private func indexColumns(_ index: String) throws(DatabaseError) -> [String] {
        try query("SELECT name, \"desc\", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", index) { row in
            var column = row.text(0) ?? "<expression>"
            if let collation = row.text(2), collation != "BINARY" { column += " collate \(collation.lowercased())" }
            if row.integer(1) != 0 { column += " desc" }
            return column
        }
    }

    private func index(_ row: Row) throws(DatabaseError) -> SchemaSnapshot.Object {
        let normalized = SQLNormalizer.normalize(row.sql)
        var details = ["on \(row.table) (\(try indexColumns(row.name).joined(separator: ", ")))"]
        if normalized.hasPrefix("create unique ") { details.append("unique") }
        if let clause = normalized.range(of: " where ") {
            details.append(String(normalized[clause.lowerBound...].dropFirst()))
        }
        return SchemaSnapshot.Object(kind: "index", name: row.name, details: details)
    }

    /// `name` as a SQLite identifier: in double quotes, inner quotes doubled.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
