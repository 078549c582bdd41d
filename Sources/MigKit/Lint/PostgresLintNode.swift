/// The parse-tree nodes of one statement that the PostgreSQL lint rules read, decoded from
/// libpg_query's parse tree (`pg_query_parse`); every other statement is `.other`.
///
/// Only the fields a rule needs are decoded; names follow the parse tree's so that a rule can be
/// checked against PostgreSQL's `parsenodes.h`.
enum PostgresLintNode {
    case createTable(table: PgRangeVar, elements: [PgTableElement], ifNotExists: Bool)
    case createTableAs(table: PgRangeVar)
    case createIndex(PgIndexStatement)
    case alterTable(table: PgRangeVar, commands: [PgAlterTableCommand])
    case rename(PgRenameStatement)
    /// `DROP …`: the object kind (`OBJECT_TABLE`, `OBJECT_INDEX`…) and the objects' last name parts.
    case drop(kind: String, names: [String], ifExists: Bool, concurrently: Bool)
    case reindex(concurrently: Bool)
    case truncate(tables: [PgRangeVar], cascade: Bool)
    /// `UPDATE` or `DELETE`: the table and whether the statement has a `WHERE`.
    case update(table: PgRangeVar, hasWhere: Bool)
    case delete(table: PgRangeVar, hasWhere: Bool)
    /// `SET` / `SET LOCAL`: the setting's name.
    case set(name: String)
    case vacuum(full: Bool, tables: [PgRangeVar])
    case cluster(table: PgRangeVar?)
    /// `TransactionStmt`: its kind (`TRANS_STMT_BEGIN`…).
    case transaction(kind: String)
    /// `ALTER TYPE … ADD VALUE` (with `BEFORE`/`AFTER` when `neighbour` is set) or `RENAME VALUE` (`oldValue`).
    case alterEnum(type: String, newValue: String?, neighbour: String?, oldValue: String?)
    case other

    /// The statements of a parse tree.
    static func statements(inTree tree: PgJSON) -> [PostgresLintNode] {
        tree.statements.map(PostgresLintNode.init)
    }

    /// The node of one statement (`{NodeName: {…}}`).
    init(_ statement: PgJSON) {
        guard let (name, fields) = statement.node else {
            self = .other
            return
        }
        let relation = fields["relation"].map(PgRangeVar.init) ?? PgRangeVar(schemaname: nil, relname: "")
        switch name {
        case "IndexStmt": self = .createIndex(PgIndexStatement(fields))
        case "RenameStmt": self = .rename(PgRenameStatement(fields))
        case "CreateStmt":
            self = .createTable(
                table: relation, elements: (fields["tableElts"]?.array ?? []).map(PgTableElement.init),
                ifNotExists: fields["if_not_exists"]?.bool ?? false)
        case "CreateTableAsStmt":
            self = fields["into"]?["rel"].map { .createTableAs(table: PgRangeVar($0)) } ?? .other
        case "AlterTableStmt":
            self = .alterTable(
                table: relation,
                commands: (fields["cmds"]?.array ?? []).compactMap { $0["AlterTableCmd"].map(PgAlterTableCommand.init) }
            )
        case "DropStmt":
            self = .drop(
                kind: fields["removeType"]?.string ?? "",
                names: (fields["objects"]?.array ?? []).compactMap { $0["List"]?["items"]?.array?.last?.stringNode },
                ifExists: fields["missing_ok"]?.bool ?? false, concurrently: fields["concurrent"]?.bool ?? false)
        case "ReindexStmt":
            self = .reindex(concurrently: Self.hasOption("concurrently", in: fields["params"]))
        case "TruncateStmt":
            self = .truncate(
                tables: (fields["relations"]?.array ?? []).compactMap { $0["RangeVar"].map(PgRangeVar.init) },
                cascade: fields["behavior"]?.string == "DROP_CASCADE")
        case "UpdateStmt": self = .update(table: relation, hasWhere: fields["whereClause"] != nil)
        case "DeleteStmt": self = .delete(table: relation, hasWhere: fields["whereClause"] != nil)
        case "VariableSetStmt": self = .set(name: fields["name"]?.string ?? "")
        case "VacuumStmt":
            self = .vacuum(
                full: Self.hasOption("full", in: fields["options"]),
                tables: (fields["rels"]?.array ?? []).compactMap {
                    $0["VacuumRelation"]?["relation"].map(PgRangeVar.init)
                })
        case "ClusterStmt": self = .cluster(table: fields["relation"].map(PgRangeVar.init))
        case "TransactionStmt": self = .transaction(kind: fields["kind"]?.string ?? "")
        case "AlterEnumStmt":
            self = .alterEnum(
                type: (fields["typeName"]?.array ?? []).compactMap(\.stringNode).joined(separator: "."),
                newValue: fields["newVal"]?.string, neighbour: fields["newValNeighbor"]?.string,
                oldValue: fields["oldVal"]?.string)
        default: self = .other
        }
    }

    /// Whether a list of `DefElem` options (`CONCURRENTLY` of `REINDEX`, `FULL` of `VACUUM`) names `option`.
    private static func hasOption(_ option: String, in list: PgJSON?) -> Bool {
        (list?.array ?? []).contains { $0["DefElem"]?["defname"]?.string == option }
    }
}

// MARK: - Nodes

/// `RangeVar`: a table as a statement names it.
struct PgRangeVar: Hashable {
    let schemaname: String?
    let relname: String

    init(schemaname: String?, relname: String) {
        self.schemaname = schemaname
        self.relname = relname
    }

    init(_ fields: PgJSON) {
        self.init(schemaname: fields["schemaname"]?.string, relname: fields["relname"]?.string ?? "")
    }

    /// How lint rules match tables: by name, without the schema (a search path is not known statically).
    var key: String { relname }
}

/// `TypeName`: the type's last name part (`int4`, `varchar`, `timestamp`…) and whether it has modifiers.
struct PgTypeName {
    let name: String
    let hasModifiers: Bool
    let isArray: Bool

    init(_ fields: PgJSON) {
        name = fields["names"]?.array?.last?.stringNode ?? ""
        hasModifiers = !(fields["typmods"]?.array ?? []).isEmpty
        isArray = fields["arrayBounds"] != nil
    }
}

/// `ColumnDef`: a column of `CREATE TABLE` or `ADD COLUMN`.
struct PgColumnDefinition {
    let colname: String?
    let typeName: PgTypeName?
    let constraintList: [PgConstraint]

    init(_ fields: PgJSON) {
        colname = fields["colname"]?.string
        typeName = fields["typeName"].map(PgTypeName.init)
        constraintList = (fields["constraints"]?.array ?? []).compactMap { $0["Constraint"].map(PgConstraint.init) }
    }
}

/// `Constraint`: a column or table constraint, or a column's `DEFAULT` (`CONSTR_DEFAULT`).
struct PgConstraint {
    let contype: String
    let conname: String?
    /// `NOT VALID`.
    let isNotValid: Bool
    /// `USING INDEX name`.
    let indexname: String?
    /// Columns of a table-level `PRIMARY KEY`/`UNIQUE`.
    let keys: [String]
    /// Referencing columns of a table-level `FOREIGN KEY`.
    let fk_attrs: [String]
    /// The `CHECK` expression or the `DEFAULT` value.
    let raw_expr: PgExpression?

    init(_ fields: PgJSON) {
        contype = fields["contype"]?.string ?? ""
        conname = fields["conname"]?.string
        isNotValid = fields["skip_validation"]?.bool ?? false
        indexname = fields["indexname"]?.string
        keys = (fields["keys"]?.array ?? []).compactMap(\.stringNode)
        fk_attrs = (fields["fk_attrs"]?.array ?? []).compactMap(\.stringNode)
        raw_expr = fields["raw_expr"].map(PgExpression.init)
    }
}

/// An element of `CREATE TABLE`'s list: a column, a table constraint, or something else (`LIKE`).
enum PgTableElement {
    case column(PgColumnDefinition)
    case constraint(PgConstraint)
    case other

    init(_ element: PgJSON) {
        if let column = element["ColumnDef"] {
            self = .column(PgColumnDefinition(column))
        } else if let constraint = element["Constraint"] {
            self = .constraint(PgConstraint(constraint))
        } else {
            self = .other
        }
    }
}

/// `IndexStmt`: `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON table`.
struct PgIndexStatement {
    let idxname: String?
    let relation: PgRangeVar
    let concurrent: Bool
    let if_not_exists: Bool

    init(_ fields: PgJSON) {
        idxname = fields["idxname"]?.string
        relation = fields["relation"].map(PgRangeVar.init) ?? PgRangeVar(schemaname: nil, relname: "")
        concurrent = fields["concurrent"]?.bool ?? false
        if_not_exists = fields["if_not_exists"]?.bool ?? false
    }
}

/// `RenameStmt`: what is renamed (`OBJECT_COLUMN`, `OBJECT_TABLE`, `OBJECT_SCHEMA`…).
struct PgRenameStatement {
    let renameType: String
    let relation: PgRangeVar?
    let subname: String?
    let newname: String?

    init(_ fields: PgJSON) {
        renameType = fields["renameType"]?.string ?? ""
        relation = fields["relation"].map(PgRangeVar.init)
        subname = fields["subname"]?.string
        newname = fields["newname"]?.string
    }
}

/// `AlterTableCmd`: one action of `ALTER TABLE`.
struct PgAlterTableCommand {
    /// `AT_AddColumn`, `AT_DropColumn`, `AT_AlterColumnType`, `AT_SetNotNull`, `AT_AddConstraint`…
    let subtype: String
    /// The column or constraint the action names.
    let name: String?
    let def: Definition?
    /// `IF EXISTS` / `IF NOT EXISTS`.
    let missing_ok: Bool

    init(_ fields: PgJSON) {
        subtype = fields["subtype"]?.string ?? ""
        name = fields["name"]?.string
        def = fields["def"].map(Definition.init)
        missing_ok = fields["missing_ok"]?.bool ?? false
    }

    /// What an action adds: a column, a constraint, a partition to detach.
    enum Definition {
        case column(PgColumnDefinition)
        case constraint(PgConstraint)
        case partition(concurrently: Bool)
        case other

        init(_ node: PgJSON) {
            if let column = node["ColumnDef"] {
                self = .column(PgColumnDefinition(column))
            } else if let constraint = node["Constraint"] {
                self = .constraint(PgConstraint(constraint))
            } else if let partition = node["PartitionCmd"] {
                self = .partition(concurrently: partition["concurrent"]?.bool ?? false)
            } else {
                self = .other
            }
        }
    }

    var column: PgColumnDefinition? { if case .column(let column) = def { column } else { nil } }
    var constraint: PgConstraint? { if case .constraint(let constraint) = def { constraint } else { nil } }
}

/// Any expression, read only for what the rules ask of it: the functions it calls (a `DEFAULT`'s
/// volatility) and, at its top, `column IS NOT NULL` (the `CHECK` that lets `SET NOT NULL` skip its scan).
struct PgExpression {
    /// Names of every function called anywhere in the expression (last name part, lower case).
    private(set) var functionNames: [String] = []
    /// The column of a top-level `column IS NOT NULL`.
    private(set) var notNullColumn: String?

    init(_ expression: PgJSON) {
        collectFunctionNames(in: expression)
        if let test = expression["NullTest"], test["nulltesttype"]?.string == "IS_NOT_NULL" {
            notNullColumn = test["arg"]?["ColumnRef"]?["fields"]?.array?.last?.stringNode
        }
    }

    private mutating func collectFunctionNames(in value: PgJSON) {
        switch value {
        case .array(let values):
            for element in values { collectFunctionNames(in: element) }
        case .object(let members):
            for member in members {
                if member.key == "FuncCall", let name = member.value["funcname"]?.array?.last?.stringNode {
                    functionNames.append(name.lowercased())
                }
                collectFunctionNames(in: member.value)
            }
        default: break
        }
    }
}
