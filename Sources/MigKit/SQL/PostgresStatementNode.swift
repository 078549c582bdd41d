import Foundation

/// The parse-tree nodes of one statement that matter to how mig runs it, decoded from
/// libpg_query's JSON; every other node is `.other`.
enum PostgresStatementNode: Decodable, Equatable {
    /// `TransactionStmt`: its `kind` (`TRANS_STMT_BEGIN`, `TRANS_STMT_SAVEPOINT`…).
    case transaction(kind: String)
    /// `CREATE INDEX`: whether `CONCURRENTLY`, and the index's name qualified with its table's
    /// schema when the statement names both.
    case createIndex(concurrently: Bool, name: String?)
    case drop(concurrently: Bool)
    /// `REINDEX`: whether `CONCURRENTLY`, and the object kind (`REINDEX_OBJECT_DATABASE`…).
    case reindex(kind: String, concurrently: Bool)
    /// `VACUUM` (`isVacuum`) or `ANALYZE`.
    case vacuum(isVacuum: Bool)
    /// `COPY`: `FROM` or `TO`, and whether it names a file or program (else stdin / stdout).
    case copy(isFrom: Bool, toClient: Bool)
    /// `SET standard_conforming_strings`: whether to `on` (or its default). With it off, the server
    /// reads backslashes in the strings of later statements differently from the parser.
    case standardConformingStrings(on: Bool)
    /// A statement PostgreSQL refuses inside a transaction block, whatever its options.
    case alwaysOutsideTransaction(String)
    case other

    /// The first statement of a parse tree (`{"stmts":[{"stmt":{NodeName:{…}}}]}`).
    static func first(inTree json: Data) throws -> PostgresStatementNode {
        try JSONDecoder().decode(Tree.self, from: json).stmts.first?.stmt ?? .other
    }

    private struct Tree: Decodable {
        struct Entry: Decodable { let stmt: PostgresStatementNode }
        let stmts: [Entry]
    }

    private struct Fields: Decodable {
        struct Option: Decodable {
            struct Element: Decodable { let defname: String? }
            let element: Element?
            enum CodingKeys: String, CodingKey { case element = "DefElem" }
        }
        struct Argument: Decodable {
            struct Constant: Decodable {
                struct Text: Decodable { let sval: String? }
                let sval: Text?
            }
            let constant: Constant?
            enum CodingKeys: String, CodingKey { case constant = "A_Const" }
        }
        var kind: String?
        var concurrent: Bool?
        var isVacuum: Bool?
        var isFrom: Bool?
        var isProgram: Bool?
        var filename: String?
        var params: [Option]?
        var name: String?
        var args: [Argument]?
        struct Relation: Decodable { let schemaname: String? }
        var idxname: String?
        var relation: Relation?

        enum CodingKeys: String, CodingKey {
            case kind, concurrent, filename, params, name, args, idxname, relation
            case isVacuum = "is_vacuumcmd"
            case isFrom = "is_from"
            case isProgram = "is_program"
        }
    }

    /// Statements that never run inside a transaction block, by node name.
    private static let outsideTransaction = [
        "AlterSystemStmt": "ALTER SYSTEM", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
        "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
    ]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PgNodeKey.self)
        guard let key = container.allKeys.first else {
            self = .other
            return
        }
        if let name = Self.outsideTransaction[key.stringValue] {
            self = .alwaysOutsideTransaction(name)
            return
        }
        let known = [
            "TransactionStmt", "IndexStmt", "DropStmt", "ReindexStmt", "VacuumStmt", "CopyStmt", "VariableSetStmt",
        ]
        guard known.contains(key.stringValue) else {
            self = .other
            return
        }
        let fields = try container.decode(Fields.self, forKey: key)
        switch key.stringValue {
        case "TransactionStmt": self = .transaction(kind: fields.kind ?? "")
        case "IndexStmt":
            let name = fields.idxname.map { index in fields.relation?.schemaname.map { "\($0).\(index)" } ?? index }
            self = .createIndex(concurrently: fields.concurrent ?? false, name: name)
        case "DropStmt": self = .drop(concurrently: fields.concurrent ?? false)
        case "ReindexStmt":
            let concurrently = (fields.params ?? []).contains { $0.element?.defname == "concurrently" }
            self = .reindex(kind: fields.kind ?? "", concurrently: concurrently)
        case "VacuumStmt": self = .vacuum(isVacuum: fields.isVacuum ?? false)
        case "VariableSetStmt" where fields.name == "standard_conforming_strings":
            let value = fields.args?.first?.constant?.sval?.sval?.lowercased()
            self = .standardConformingStrings(
                on: fields.kind != "VAR_SET_VALUE" || ["on", "true", "yes"].contains(value))
        case "VariableSetStmt": self = .other
        default:
            self = .copy(
                isFrom: fields.isFrom ?? false, toClient: fields.filename == nil && !(fields.isProgram ?? false))
        }
    }

    /// The index a `CREATE INDEX CONCURRENTLY` builds, which it leaves INVALID when it fails part-way.
    var concurrentIndex: String? {
        if case .createIndex(true, let name) = self { name } else { nil }
    }

    /// What the statement demands of the transaction around it.
    var kind: SQLStatement.Kind {
        switch self {
        case .transaction(let kind):
            // SAVEPOINT, RELEASE and ROLLBACK TO nest inside mig's transaction; COMMIT PREPARED and
            // ROLLBACK PREPARED end a prepared transaction, not the current one, and refuse a block.
            switch kind {
            case "TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO": .ordinary
            case "TRANS_STMT_COMMIT_PREPARED": .nonTransactional("COMMIT PREPARED")
            case "TRANS_STMT_ROLLBACK_PREPARED": .nonTransactional("ROLLBACK PREPARED")
            default: .transactionControl
            }
        case .createIndex(true, _): .nonTransactional("CREATE INDEX CONCURRENTLY")
        case .drop(true): .nonTransactional("DROP INDEX CONCURRENTLY")
        case .reindex(_, true): .nonTransactional("REINDEX CONCURRENTLY")
        case .reindex("REINDEX_OBJECT_SYSTEM", false), .reindex("REINDEX_OBJECT_DATABASE", false):
            .nonTransactional("REINDEX SYSTEM/DATABASE")
        case .vacuum(true): .nonTransactional("VACUUM")
        case .alwaysOutsideTransaction(let name): .nonTransactional(name)
        default: .ordinary
        }
    }
}
