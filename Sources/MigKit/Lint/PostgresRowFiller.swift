/// What `--measure` put into a table that existed before the branch, so that a rewrite, an
/// index build or a validation in the shadow works through rows, as it will in production.
public struct GeneratedRows: Sendable, Codable, Equatable {
    /// `table`, or `schema.table` outside `public`.
    public let table: String
    public let rows: Int
    /// Why the table stayed empty: a column mig cannot make a value for, or the database's
    /// refusal of the generated rows (a unique or check constraint, say). Nil when filled.
    public let skipped: String?
}

/// Puts generated rows into the tables of a PostgreSQL shadow that the branch's migrations name
/// (and the tables their foreign keys point to) before those migrations run: values made from the row number for each column by its type (numbers, text, booleans,
/// times, enums, uuid, json, empty arrays), a row of the referenced table for a foreign key,
/// and the column's default, identity or generation where it has one. Referenced tables are
/// filled first. A table it cannot fill is left empty and listed with the reason: never a
/// silent skip.
struct PostgresRowFiller {
    let database: PostgresDriver
    /// Rows per table.
    let rows: Int
    /// The identifiers the branch's scripts hold (as written, and folded to lower case): a table
    /// none of them names is left as it is, so a measurement costs what the branch touches, not
    /// what the whole schema holds.
    let names: Set<String>

    private struct Column {
        let name: String
        let type: String
        let category: String
        let notNull: Bool
        /// A length limit (`varchar(n)`, `char(n)`): a value too long must fail, not be cut short.
        let hasLength: Bool
        /// Identity, generated or with a default: PostgreSQL gives the value.
        let hasOwnValue: Bool
        /// `schema.table` and column a single-column foreign key points at.
        let references: (table: String, column: String)?
    }

    func fill() throws -> [GeneratedRows] {
        var filled: [GeneratedRows] = []
        for table in try tablesParentsFirst() {
            let columns = try self.columns(of: table)
            do {
                let values = try columns.compactMap { column throws(Unfillable) in try value(column) }
                try database.execute(sql: "BEGIN")
                do {
                    try database.execute(sql: insert(into: table, values))
                    try database.execute(sql: "COMMIT")
                } catch {
                    try database.execute(sql: "ROLLBACK")
                    throw Unfillable(reason: (error as? DatabaseError)?.message ?? "\(error)")
                }
                filled.append(GeneratedRows(table: table.shown, rows: rows, skipped: nil))
            } catch let unfillable as Unfillable {
                filled.append(GeneratedRows(table: table.shown, rows: 0, skipped: unfillable.reason))
            }
        }
        return filled
    }

    private struct Unfillable: Error {
        let reason: String
    }

    private struct Table: Hashable {
        let schema: String
        let name: String
        var quoted: String { quoteIdentifier(schema) + "." + quoteIdentifier(name) }
        /// `table`, or `schema.table` outside `public`, as the measured statements name it.
        var shown: String { schema == "public" ? name : "\(schema).\(name)" }
    }

    /// The user tables (not partitioned parents, whose rows live in their partitions, nor an
    /// extension's own tables, whose rows are the extension's), each after the tables its foreign
    /// keys reference (a cycle keeps the catalog's order).
    private func tablesParentsFirst() throws -> [Table] {
        let result = try database.connection.execute(
            """
            SELECT n.nspname, c.relname,
                   coalesce((SELECT string_agg(DISTINCT f.confrelid::regclass::text, ' ') FROM pg_constraint f
                             WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.deptype = 'e')
            ORDER BY c.oid
            """, parameters: [])
        let entries = result.rows.map { row in
            (table: Table(schema: row[0] ?? "", name: row[1] ?? ""), parents: (row[2] ?? "").split(separator: " "))
        }
        let regclass = { (table: Table) in
            [table.name, table.quoted, quoteIdentifier(table.name), "\(table.schema).\(table.name)"]
        }
        // The named tables, then every table a chosen one's foreign keys point to.
        var chosen = Set(entries.map(\.table).filter { names.contains($0.name) })
        var growing = true
        while growing {
            let parents = Set(entries.filter { chosen.contains($0.table) }.flatMap(\.parents).map(String.init))
            let added = entries.map(\.table).filter { !chosen.contains($0) && !parents.isDisjoint(with: regclass($0)) }
            chosen.formUnion(added)
            growing = !added.isEmpty
        }
        var ordered: [Table] = []
        var placed: Set<String> = []
        var waiting = entries.filter { chosen.contains($0.table) }
        while !waiting.isEmpty {
            let ready = waiting.firstIndex { entry in entry.parents.allSatisfy { placed.contains(String($0)) } } ?? 0
            let table = waiting.remove(at: ready).table
            ordered.append(table)
            placed.formUnion(regclass(table))
        }
        return ordered
    }

    private func columns(of table: Table) throws -> [Column] {
        let result = try database.connection.execute(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, a.attnotnull, a.atttypmod > 0,
                   a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
                   (SELECT f.confrelid::regclass::text || ' ' || r.attname FROM pg_constraint f
                      JOIN pg_attribute r ON r.attrelid = f.confrelid AND r.attnum = f.confkey[1]
                    WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND f.conkey = ARRAY[a.attnum])
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, parameters: [table.quoted])
        return result.rows.map { row in
            let reference = (row[6] ?? nil).map { text in
                let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
                return (table: parts[0], column: parts.count > 1 ? parts[1] : "")
            }
            return Column(
                name: row[0] ?? "", type: row[1] ?? "", category: row[2] ?? "", notNull: row[3] == "t",
                hasLength: row[4] == "t", hasOwnValue: row[5] == "t", references: reference)
        }
    }

    /// The column and the expression of its value for row `g`; nil when PostgreSQL gives it.
    private func value(_ column: Column) throws(Unfillable) -> (String, String)? {
        if column.hasOwnValue { return nil }
        let name = quoteIdentifier(column.name)
        if let reference = column.references {
            return (name, "(SELECT \(quoteIdentifier(reference.column)) FROM \(reference.table) LIMIT 1)")
        }
        let type = column.type
        let expression: String? =
            switch column.category {
            case "N": "g::\(type)"
            // Assigned, not cast: a cast would cut `r100` to `r10` in a varchar(3), and a UNIQUE column
            // would then refuse the rows; digits alone fit in fewer characters.
            case "S": column.hasLength ? "g::text" : "('r' || g)::\(type)"
            case "B": "(g % 2 = 0)"
            case "D": "(timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute')::\(type)"
            case "T": "(g * interval '1 second')::\(type)"
            case "E": "(enum_range(NULL::\(type)))[1 + g % cardinality(enum_range(NULL::\(type)))]"
            case "A": "'{}'::\(type)"
            case "U" where type == "uuid": "md5(g::text)::uuid"
            case "U" where type == "json" || type == "jsonb": "json_build_object('row', g)::\(type)"
            default: nil
            }
        if let expression { return (name, expression) }
        guard !column.notNull else { throw Unfillable(reason: "no value can be made for \(column.name) (\(type))") }
        return nil
    }

    private func insert(into table: Table, _ values: [(String, String)]) -> String {
        guard !values.isEmpty else {
            return "DO $$ BEGIN FOR i IN 1..\(rows) LOOP INSERT INTO \(table.quoted) DEFAULT VALUES; END LOOP; END $$"
        }
        return "INSERT INTO \(table.quoted) (\(values.map(\.0).joined(separator: ", "))) "
            + "SELECT \(values.map(\.1).joined(separator: ", ")) FROM generate_series(1, \(rows)) AS g"
    }
}
