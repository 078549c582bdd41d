/// Reads the SQL that makes one object, as the database itself would write it: what a repair
/// migration copies, and what a normalised `SchemaSnapshot` no longer holds.
public protocol SchemaDefinitionReading {
    /// The `CREATE` statement of the object `kind` `name` (named as `SchemaSnapshot` names it),
    /// or `nil` when there is no such object or the engine has no definition for that kind.
    func definition(kind: String, name: String) throws -> String?
    /// The facts of table `name` written as its snapshot's lines, with any white space the snapshot
    /// collapses kept, so a repair copies a default or a constraint exactly; `nil` when the
    /// snapshot's lines are already exact.
    func tableDetails(_ name: String) throws -> [String]?
}

/// A migration written from drift (`mig diff --write`): its up makes the schema the migrations
/// give match the database, its down reverts that.
///
/// Every statement is built from a difference and the definitions the two sides hold (the live
/// database for what it has, the shadow for what the migrations make), idempotent where the
/// engine allows (`IF NOT EXISTS`, `IF EXISTS`, `CREATE OR REPLACE`). Not every statement can be
/// (SQLite's `ADD COLUMN`, PostgreSQL's `ADD CONSTRAINT`), so the database it was read from, which
/// already has the changes, records it without running it (`mig baseline`). A difference that cannot be expressed safely — one that would drop a table's or a
/// column's data, change a column's type, or needs SQLite's table rebuild — becomes a `-- TODO`
/// naming it (with the statement to consider, commented out), in both scripts, and is listed.
public struct SchemaRepair: Sendable, Equatable {
    /// The up script: a header comment, then one statement (or TODO) per difference.
    public let up: String
    /// The down script: the reverse of each step, in the reverse order.
    public let down: String
    /// The differences left as TODOs, each with why.
    public let todos: [String]

    /// The order objects are made in (and dropped in reverse): types and sequences before the
    /// tables that use them, tables before what reads them; within a kind, whole objects before
    /// the parts of existing ones, then in path order.
    static let kindOrder = ["enum", "sequence", "table", "function", "view", "index", "trigger"]

    /// Builds the repair of `differences` (from `SchemaDifference.between`), reading definitions
    /// from `database` (the live database) and `migrations` (the shadow).
    public static func make(
        _ differences: [SchemaDifference], dialect: Dialect, database: any SchemaDefinitionReading,
        migrations: any SchemaDefinitionReading
    ) throws -> SchemaRepair {
        let sql = RepairSQL(dialect: dialect)
        let rank = { (kind: String) in kindOrder.firstIndex(of: kind) ?? kindOrder.count }
        // Whole objects of a kind before parts of existing ones: a foreign key added to an existing
        // table comes after the new table it references.
        let key = { (item: (offset: Int, element: SchemaDifference)) in
            (rank(item.element.kind), item.element.part == nil ? 0 : 1, item.offset)
        }
        let ordered = differences.enumerated().sorted { key($0) < key($1) }
        var up: [String] = []
        var down: [String] = []
        var todos: [String] = []
        let constraintIndexes = constraintIndexNames(in: differences)
        for (_, difference) in ordered
        where !(difference.kind == "index" && constraintIndexes.contains(difference.name)) {
            let step = try sql.step(for: difference, database: database, migrations: migrations)
            if let todo = step.todo {
                todos.append("\(difference): \(todo)")
                let comment = "-- TODO: \(difference): \(todo)"
                up.append(([comment] + step.up.map { "--   \($0)" }).joined(separator: "\n"))
                down.insert(([comment] + step.down.map { "--   \($0)" }).joined(separator: "\n"), at: 0)
            } else {
                up += step.up
                down.insert(contentsOf: step.down, at: 0)
            }
        }
        let header = """
            -- Written by `mig diff --write` from a database's drift: makes the schema the migrations give
            -- match that database. The database it was read from already has these changes.

            """
        return SchemaRepair(
            up: header + up.joined(separator: "\n") + "\n",
            down: down.joined(separator: "\n") + (down.isEmpty ? "" : "\n"),
            todos: todos)
    }

    /// PostgreSQL makes an index for each PRIMARY KEY, UNIQUE and EXCLUDE constraint, named as the
    /// constraint: it comes and goes with the constraint's statement (dropping it alone fails), so
    /// the repair leaves it out. The names of the constraints `differences` touch, as index names.
    static func constraintIndexNames(in differences: [SchemaDifference]) -> Set<String> {
        var names: Set<String> = []
        for difference in differences where difference.kind == "table" {
            let schema = difference.name.firstIndex(of: ".").map { String(difference.name[...$0]) } ?? ""
            let lines =
                difference.part.map { [$0] }
                ?? (difference.database ?? difference.migrations ?? "")
                .components(separatedBy: "; ")
            for line in lines where line.hasPrefix("constraint ") {
                names.insert(schema + TablePart.name(in: TablePart.key(of: line)))
            }
        }
        return names
    }
}

/// The statements of one repair step, per dialect.
struct RepairSQL {
    let dialect: Dialect

    struct Step {
        var up: [String] = []
        var down: [String] = []
        /// Why the step cannot run as written; `up`/`down` are then only suggestions.
        var todo: String?
    }

    func step(
        for difference: SchemaDifference, database: any SchemaDefinitionReading,
        migrations: any SchemaDefinitionReading
    ) throws -> Step {
        let kind = difference.kind
        let name = difference.name
        guard let part = difference.part else {
            switch difference.change {
            case .onlyInDatabase:
                guard let created = try create(kind, name, from: database) else { return noDefinition(kind) }
                return Step(up: created, down: [drop(kind, name, as: difference.database)])
            case .onlyInMigrations where kind == "table" || kind == "sequence":
                let recreate = try create(kind, name, from: migrations) ?? []
                let loses = kind == "table" ? "the table loses its rows" : "the sequence loses its counter"
                return Step(
                    up: [drop(kind, name, as: difference.migrations)], down: recreate,
                    todo:
                        "dropping \(loses) wherever the migrations made it; drop it by hand if intended"
                )
            case .onlyInMigrations:
                guard let created = try create(kind, name, from: migrations) else { return noDefinition(kind) }
                return Step(up: [drop(kind, name, as: difference.migrations)], down: created)
            case .changed where dialect == .postgres && kind == "enum":
                return Step(
                    todo: "a type's values cannot be replaced while columns use it: add the new ones with "
                        + "ALTER TYPE … ADD VALUE, and rebuild the type by hand for a removal or a reorder")
            case .changed:
                guard let wanted = try create(kind, name, from: database),
                    let had = try create(kind, name, from: migrations)
                else { return noDefinition(kind) }
                switch (dialect, kind) {
                case (.postgres, "function"):
                    // pg_get_functiondef writes CREATE OR REPLACE, which keeps the triggers that use it.
                    return Step(up: wanted, down: had)
                case (.postgres, "sequence"):
                    // A column's default may use it, so it is altered rather than dropped.
                    let alter = { (statements: [String]) in
                        statements.map { "ALTER SEQUENCE " + $0.dropFirst("CREATE SEQUENCE IF NOT EXISTS ".count) }
                    }
                    return Step(up: alter(wanted), down: alter(had))
                default:
                    // Up drops what the migrations made, down what the database has.
                    let replace = { (statements: [String], dropping: String?) in
                        let drop = drop(kind, name, as: dropping)
                        return statements.first == drop ? statements : [drop] + statements
                    }
                    return Step(
                        up: replace(wanted, difference.migrations), down: replace(had, difference.database))
                }
            }
        }
        // The part's line as each side writes it exactly (a literal's white space kept), when the
        // engine's snapshot collapses it.
        let exact = { (source: any SchemaDefinitionReading) in
            try source.tableDetails(name)?.first { TablePart.key(of: $0) == part }
        }
        return tablePart(
            difference, table: name, part: part, database: try exact(database), migrations: try exact(migrations))
    }

    private func noDefinition(_ kind: String) -> Step {
        Step(todo: "mig cannot read a \(kind)'s definition on \(dialect.rawValue); write this part by hand")
    }

    // MARK: - Table parts

    /// The step for a part of a table; `database` and `migrations` are the part's exact lines,
    /// when the engine has them (else the difference's own text is used).
    private func tablePart(
        _ difference: SchemaDifference, table: String, part: String, database: String?, migrations: String?
    ) -> Step {
        let inDatabase = database ?? difference.database
        let inMigrations = migrations ?? difference.migrations
        let target = quoted(table)
        let rebuild =
            "SQLite cannot change this in place: rebuild the table (https://www.sqlite.org/lang_altertable.html#otheralter)"
        if part.hasPrefix("column ") {
            let column = TablePart.name(in: part)
            let add = { (line: String?) in line.flatMap(ColumnFacts.init(line:)).flatMap { addColumn($0, to: target) } }
            let dropColumn = "ALTER TABLE \(target) DROP COLUMN\(ifExists) \(quotedIdentifier(column));"
            switch difference.change {
            case .onlyInDatabase:
                guard let statement = add(inDatabase) else {
                    return Step(todo: "a primary-key or generated column cannot be added with ALTER TABLE; \(rebuild)")
                }
                return Step(up: [statement], down: [dropColumn])
            case .onlyInMigrations:
                return Step(
                    up: [dropColumn], down: add(inMigrations).map { [$0] } ?? [],
                    todo:
                        "dropping the column loses its data wherever the migrations made it; drop it by hand if intended"
                )
            case .changed:
                guard dialect == .postgres else { return Step(todo: rebuild) }
                let alter = "ALTER TABLE \(target) ALTER COLUMN \(quotedIdentifier(column))"
                switch difference.aspect {
                case .default:
                    let set = { (value: String?) in
                        value.map { "\(alter) SET DEFAULT \($0);" } ?? "\(alter) DROP DEFAULT;"
                    }
                    // From the exact line when there is one: the compared value has collapsed white space.
                    let value = { (line: String?, compared: String?) in
                        line.flatMap(ColumnFacts.init(line:)).map(\.defaultValue) ?? compared
                    }
                    return Step(
                        up: [set(value(database, difference.database))],
                        down: [set(value(migrations, difference.migrations))])
                case .nullability:
                    let set = { (value: String?) in "\(alter) \(value == nil ? "DROP" : "SET") NOT NULL;" }
                    return Step(up: [set(difference.database)], down: [set(difference.migrations)])
                case .type:
                    return Step(
                        up: ["\(alter) TYPE \(difference.database ?? "");"],
                        down: ["\(alter) TYPE \(difference.migrations ?? "");"],
                        todo: "a type change can rewrite the table and convert or reject values: "
                            + "review the conversion (USING) before running it")
                default:
                    return Step(todo: "change the column's \(difference.aspect?.rawValue ?? "definition") by hand")
                }
            }
        }
        if part.hasPrefix("constraint "), dialect == .postgres {
            let name = TablePart.name(in: part)
            let definition = { (line: String?) in line.map { String($0.dropFirst(part.count + 1)) } }
            let add = { (line: String?) in
                definition(line).map { ["ALTER TABLE \(target) ADD CONSTRAINT \(quotedIdentifier(name)) \($0);"] } ?? []
            }
            let drop = "ALTER TABLE \(target) DROP CONSTRAINT IF EXISTS \(quotedIdentifier(name));"
            switch difference.change {
            case .onlyInDatabase: return Step(up: add(inDatabase), down: [drop])
            case .onlyInMigrations: return Step(up: [drop], down: add(inMigrations))
            case .changed: return Step(up: [drop] + add(inDatabase), down: [drop] + add(inMigrations))
            }
        }
        return Step(todo: dialect == .sqlite ? rebuild : "write this part by hand")
    }

    /// `ALTER TABLE … ADD COLUMN` for `facts`, or `nil` when such a column cannot be added that way.
    private func addColumn(_ facts: ColumnFacts, to table: String) -> String? {
        guard facts.primaryKey == nil, dialect == .postgres || facts.generated == nil else { return nil }
        var definition = "\(quotedIdentifier(facts.name)) \(facts.type)"
        if let generated = facts.generated { definition += " \(generated)" }
        if let value = facts.defaultValue { definition += " DEFAULT \(value)" }
        if facts.notNull { definition += " NOT NULL" }
        return "ALTER TABLE \(table) ADD COLUMN\(dialect == .postgres ? " IF NOT EXISTS" : "") \(definition);"
    }

    private var ifExists: String { dialect == .postgres ? " IF EXISTS" : "" }

    // MARK: - Whole objects

    /// The statements that make `kind` `name` as `source` has it, idempotent where the engine allows.
    private func create(_ kind: String, _ name: String, from source: any SchemaDefinitionReading) throws -> [String]? {
        guard var definition = try source.definition(kind: kind, name: name)?.trimmingWhitespace() else { return nil }
        while definition.hasSuffix(";") { definition.removeLast() }
        switch (dialect, kind) {
        case (.postgres, "function"):
            return [definition + ";"]  // pg_get_functiondef writes CREATE OR REPLACE
        case (.postgres, "view") where definition.hasPrefix("CREATE VIEW "):
            // PostgreSQL has no CREATE VIEW IF NOT EXISTS (only for materialized views).
            return ["CREATE OR REPLACE VIEW " + definition.dropFirst("CREATE VIEW ".count) + ";"]
        case (.postgres, "trigger"), (.postgres, "enum"):
            // Neither has IF NOT EXISTS on every server: drop, then create.
            return [drop(kind, name), definition + ";"]
        default:
            return [Self.ifNotExists(definition) + ";"]
        }
    }

    /// `CREATE [UNIQUE] INDEX|TABLE|VIEW|TRIGGER|SEQUENCE|MATERIALIZED VIEW name` with `IF NOT EXISTS` added.
    static func ifNotExists(_ definition: String) -> String {
        let pattern =
            /^(?i)(\s*create\s+(?:unique\s+|temp\s+|temporary\s+|materialized\s+)?(?:table|index|view|trigger|sequence)\s+)(?!if\s+not\s+exists)/
        guard let match = definition.firstMatch(of: pattern) else { return definition }
        return String(match.output.1) + "IF NOT EXISTS " + definition[match.range.upperBound...]
    }

    /// The statement that drops `kind` `name`, whose snapshot detail is `detail` (when known): a
    /// view's says whether it is materialized, a function's whether it is a procedure.
    private func drop(_ kind: String, _ name: String, as detail: String? = nil) -> String {
        switch (dialect, kind) {
        case (.postgres, "view") where detail?.hasPrefix("materialized ") == true:
            return "DROP MATERIALIZED VIEW IF EXISTS \(quoted(name));"
        case (.postgres, "trigger"):
            let parts = name.split(separator: ".").map(String.init)
            let table = parts.dropLast().map(quotedIdentifier).joined(separator: ".")
            return "DROP TRIGGER IF EXISTS \(quotedIdentifier(parts.last ?? name)) ON \(table);"
        case (.postgres, "function"):
            let head = name.prefix { $0 != "(" }
            let routine = detail?.hasPrefix("CREATE OR REPLACE PROCEDURE ") == true ? "PROCEDURE" : "FUNCTION"
            return "DROP \(routine) IF EXISTS \(quoted(String(head)))\(name.dropFirst(head.count));"
        case (.postgres, "enum"):
            return "DROP TYPE IF EXISTS \(quoted(name));"
        default:
            return "DROP \(kind.uppercased()) IF EXISTS \(quoted(name));"
        }
    }

    /// A name as `SchemaSnapshot` writes it, quoted: PostgreSQL's `schema.name` becomes `"schema"."name"`.
    private func quoted(_ name: String) -> String {
        guard dialect == .postgres else { return quotedIdentifier(name) }
        return name.split(separator: ".", maxSplits: 1).map { quotedIdentifier(String($0)) }.joined(separator: ".")
    }

    private func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
