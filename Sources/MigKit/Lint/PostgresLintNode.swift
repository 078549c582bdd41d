import Foundation

/// The parse-tree nodes of one statement that the PostgreSQL lint rules read, decoded from
/// libpg_query's JSON (`pg_query_parse`); every other statement is `.other`.
///
/// Only the fields a rule needs are decoded; names follow the parse tree's so that a rule can be
/// checked against PostgreSQL's `parsenodes.h`.
enum PostgresLintNode: Decodable {
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

    /// The statements of a parse tree (`{"stmts":[{"stmt":{NodeName:{…}}}]}`).
    static func statements(inTree json: Data) throws -> [PostgresLintNode] {
        try JSONDecoder().decode(Tree.self, from: json).stmts.map(\.stmt)
    }

    private struct Tree: Decodable {
        struct Entry: Decodable { let stmt: PostgresLintNode }
        let stmts: [Entry]
    }

    private struct Fields: Decodable {
        var relation: PgRangeVar?
        var tableElts: [PgTableElement]?
        var if_not_exists: Bool?
        var into: Into?
        var cmds: [PgAlterTableCommand.Node]?
        var objects: [PgNameList]?
        var removeType: String?
        var missing_ok: Bool?
        var concurrent: Bool?
        var params: [PgDefElem]?
        var options: [PgDefElem]?
        var relations: [PgRangeVarNode]?
        var rels: [VacuumRelation]?
        var behavior: String?
        var whereClause: PgExpression?
        var name: String?
        var kind: String?
        var typeName: [PgString]?
        var newVal: String?
        var newValNeighbor: String?
        var oldVal: String?

        struct Into: Decodable { let rel: PgRangeVar }
        struct VacuumRelation: Decodable {
            struct Relation: Decodable { let relation: PgRangeVar? }
            let VacuumRelation: Relation?
        }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PgNodeKey.self)
        guard let key = container.allKeys.first else {
            self = .other
            return
        }
        let known = [
            "CreateStmt", "CreateTableAsStmt", "IndexStmt", "AlterTableStmt", "RenameStmt", "DropStmt", "ReindexStmt",
            "TruncateStmt", "UpdateStmt", "DeleteStmt", "VariableSetStmt", "VacuumStmt", "ClusterStmt",
            "TransactionStmt", "AlterEnumStmt",
        ]
        guard known.contains(key.stringValue) else {
            self = .other
            return
        }
        if key.stringValue == "IndexStmt" {
            self = .createIndex(try container.decode(PgIndexStatement.self, forKey: key))
            return
        }
        if key.stringValue == "RenameStmt" {
            self = .rename(try container.decode(PgRenameStatement.self, forKey: key))
            return
        }
        let fields = try container.decode(Fields.self, forKey: key)
        let relation = fields.relation ?? PgRangeVar(schemaname: nil, relname: "")
        switch key.stringValue {
        case "CreateStmt":
            self = .createTable(
                table: relation, elements: fields.tableElts ?? [], ifNotExists: fields.if_not_exists ?? false)
        case "CreateTableAsStmt":
            self = fields.into.map { .createTableAs(table: $0.rel) } ?? .other
        case "AlterTableStmt":
            self = .alterTable(table: relation, commands: (fields.cmds ?? []).compactMap(\.AlterTableCmd))
        case "DropStmt":
            self = .drop(
                kind: fields.removeType ?? "", names: (fields.objects ?? []).compactMap(\.lastName),
                ifExists: fields.missing_ok ?? false, concurrently: fields.concurrent ?? false)
        case "ReindexStmt":
            self = .reindex(concurrently: (fields.params ?? []).contains { $0.name == "concurrently" })
        case "TruncateStmt":
            self = .truncate(
                tables: (fields.relations ?? []).compactMap(\.RangeVar), cascade: fields.behavior == "DROP_CASCADE")
        case "UpdateStmt": self = .update(table: relation, hasWhere: fields.whereClause != nil)
        case "DeleteStmt": self = .delete(table: relation, hasWhere: fields.whereClause != nil)
        case "VariableSetStmt": self = .set(name: fields.name ?? "")
        case "VacuumStmt":
            self = .vacuum(
                full: (fields.options ?? []).contains { $0.name == "full" },
                tables: (fields.rels ?? []).compactMap { $0.VacuumRelation?.relation })
        case "ClusterStmt": self = .cluster(table: fields.relation)
        case "TransactionStmt": self = .transaction(kind: fields.kind ?? "")
        default:
            self = .alterEnum(
                type: (fields.typeName ?? []).compactMap(\.value).joined(separator: "."), newValue: fields.newVal,
                neighbour: fields.newValNeighbor, oldValue: fields.oldVal)
        }
    }
}

// MARK: - Nodes

/// `RangeVar`: a table as a statement names it.
struct PgRangeVar: Decodable, Hashable {
    let schemaname: String?
    let relname: String

    /// How lint rules match tables: by name, without the schema (a search path is not known statically).
    var key: String { relname }
}

/// A list element that wraps a `RangeVar` (`TRUNCATE`'s relations).
struct PgRangeVarNode: Decodable {
    let RangeVar: PgRangeVar?
}

/// A `String` node (`{"String": {"sval": "…"}}`).
struct PgString: Decodable {
    struct Value: Decodable { let sval: Swift.String? }
    let String: Value?
    var value: Swift.String? { self.String?.sval }
}

/// A `List` of `String` nodes (a qualified name in `DROP`).
struct PgNameList: Decodable {
    struct Items: Decodable { let items: [PgString]? }
    let List: Items?
    var lastName: String? { List?.items?.last?.value }
}

/// A `DefElem` option (`CONCURRENTLY` of `REINDEX`, `FULL` of `VACUUM`).
struct PgDefElem: Decodable {
    struct Element: Decodable { let defname: String? }
    let DefElem: Element?
    var name: String? { DefElem?.defname }
}

/// `TypeName`: the type's last name part (`int4`, `varchar`, `timestamp`…) and whether it has modifiers.
struct PgTypeName: Decodable {
    let names: [PgString]
    let typmods: [PgExpression]?
    let arrayBounds: [PgExpression]?

    var name: String { names.last?.value ?? "" }
    var hasModifiers: Bool { !(typmods ?? []).isEmpty }
    var isArray: Bool { arrayBounds != nil }
}

/// `ColumnDef`: a column of `CREATE TABLE` or `ADD COLUMN`.
struct PgColumnDefinition: Decodable {
    let colname: String?
    let typeName: PgTypeName?
    let constraints: [PgConstraintNode]?

    var constraintList: [PgConstraint] { (constraints ?? []).compactMap(\.Constraint) }
}

/// A list element wrapping a `Constraint`.
struct PgConstraintNode: Decodable {
    let Constraint: PgConstraint?
}

/// `Constraint`: a column or table constraint, or a column's `DEFAULT` (`CONSTR_DEFAULT`).
struct PgConstraint: Decodable {
    let contype: String
    let conname: String?
    /// `NOT VALID`.
    let skip_validation: Bool?
    /// `USING INDEX name`.
    let indexname: String?
    /// Columns of a table-level `PRIMARY KEY`/`UNIQUE`.
    let keys: [PgString]?
    /// Referencing columns of a table-level `FOREIGN KEY`.
    let fk_attrs: [PgString]?
    /// The `CHECK` expression or the `DEFAULT` value.
    let raw_expr: PgExpression?

    var isNotValid: Bool { skip_validation ?? false }
}

/// An element of `CREATE TABLE`'s list: a column, a table constraint, or something else (`LIKE`).
enum PgTableElement: Decodable {
    case column(PgColumnDefinition)
    case constraint(PgConstraint)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PgNodeKey.self)
        if let column = try container.decodeIfPresent(
            PgColumnDefinition.self, forKey: PgNodeKey(stringValue: "ColumnDef"))
        {
            self = .column(column)
        } else if let constraint = try container.decodeIfPresent(
            PgConstraint.self, forKey: PgNodeKey(stringValue: "Constraint"))
        {
            self = .constraint(constraint)
        } else {
            self = .other
        }
    }
}

/// `IndexStmt`: `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON table`.
struct PgIndexStatement: Decodable {
    let idxname: String?
    let relation: PgRangeVar
    let concurrent: Bool?
    let if_not_exists: Bool?
}

/// `RenameStmt`: what is renamed (`OBJECT_COLUMN`, `OBJECT_TABLE`, `OBJECT_SCHEMA`…).
struct PgRenameStatement: Decodable {
    let renameType: String
    let relation: PgRangeVar?
    let subname: String?
    let newname: String?
}

/// `AlterTableCmd`: one action of `ALTER TABLE`.
struct PgAlterTableCommand: Decodable {
    struct Node: Decodable { let AlterTableCmd: PgAlterTableCommand? }

    /// `AT_AddColumn`, `AT_DropColumn`, `AT_AlterColumnType`, `AT_SetNotNull`, `AT_AddConstraint`…
    let subtype: String
    /// The column or constraint the action names.
    let name: String?
    let def: Definition?
    /// `IF EXISTS` / `IF NOT EXISTS`.
    let missing_ok: Bool?

    /// What an action adds: a column, a constraint, a partition to detach.
    enum Definition: Decodable {
        case column(PgColumnDefinition)
        case constraint(PgConstraint)
        case partition(concurrently: Bool)
        case other

        private struct Partition: Decodable { let concurrent: Bool? }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: PgNodeKey.self)
            if let column = try container.decodeIfPresent(
                PgColumnDefinition.self, forKey: PgNodeKey(stringValue: "ColumnDef"))
            {
                self = .column(column)
            } else if let constraint = try container.decodeIfPresent(
                PgConstraint.self, forKey: PgNodeKey(stringValue: "Constraint"))
            {
                self = .constraint(constraint)
            } else if let partition = try container.decodeIfPresent(
                Partition.self, forKey: PgNodeKey(stringValue: "PartitionCmd"))
            {
                self = .partition(concurrently: partition.concurrent ?? false)
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
struct PgExpression: Decodable {
    /// Names of every function called anywhere in the expression (last name part, lower case).
    private(set) var functionNames: [String] = []
    /// The column of a top-level `column IS NOT NULL`.
    private(set) var notNullColumn: String?

    init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            while !list.isAtEnd {
                guard let element = try? list.decode(PgExpression.self) else { break }
                functionNames += element.functionNames
            }
            return
        }
        guard let container = try? decoder.container(keyedBy: PgNodeKey.self) else { return }
        for key in container.allKeys {
            if key.stringValue == "FuncCall", let call = try? container.decode(FunctionCall.self, forKey: key) {
                if let name = call.funcname.last?.value { functionNames.append(name.lowercased()) }
            }
            if key.stringValue == "NullTest", let test = try? container.decode(NullTest.self, forKey: key),
                test.nulltesttype == "IS_NOT_NULL"
            {
                notNullColumn = test.arg?.ColumnRef?.fields.last?.value
            }
            if let nested = try? container.decode(PgExpression.self, forKey: key) {
                functionNames += nested.functionNames
            }
        }
    }

    private struct FunctionCall: Decodable { let funcname: [PgString] }
    private struct NullTest: Decodable {
        struct Argument: Decodable {
            struct Reference: Decodable { let fields: [PgString] }
            let ColumnRef: Reference?
        }
        let arg: Argument?
        let nulltesttype: String?
    }
}
