import Foundation

/// The parse-tree nodes of one statement that matter to how mig runs it, decoded from
/// libpg_query's JSON; every other node is `.other`.
enum PostgresStatementNode: Decodable, Equatable {
    /// `TransactionStmt`: its `kind` (`TRANS_STMT_BEGIN`, `TRANS_STMT_SAVEPOINT`…).
    case transaction(kind: String)
    case createIndex(concurrently: Bool)
    case drop(concurrently: Bool)
    /// `REINDEX`: whether `CONCURRENTLY`, and the object kind (`REINDEX_OBJECT_DATABASE`…).
    case reindex(kind: String, concurrently: Bool)
    /// `VACUUM` (`isVacuum`) or `ANALYZE`.
    case vacuum(isVacuum: Bool)
    /// `COPY`: `FROM` or `TO`, and whether it names a file or program (else stdin / stdout).
    case copy(isFrom: Bool, toClient: Bool)
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
            let DefElem: Element?
        }
        var kind: String?
        var concurrent: Bool?
        var is_vacuumcmd: Bool?
        var is_from: Bool?
        var is_program: Bool?
        var filename: String?
        var params: [Option]?
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
        let known = ["TransactionStmt", "IndexStmt", "DropStmt", "ReindexStmt", "VacuumStmt", "CopyStmt"]
        guard known.contains(key.stringValue) else {
            self = .other
            return
        }
        let fields = try container.decode(Fields.self, forKey: key)
        switch key.stringValue {
        case "TransactionStmt": self = .transaction(kind: fields.kind ?? "")
        case "IndexStmt": self = .createIndex(concurrently: fields.concurrent ?? false)
        case "DropStmt": self = .drop(concurrently: fields.concurrent ?? false)
        case "ReindexStmt":
            let concurrently = (fields.params ?? []).contains { $0.DefElem?.defname == "concurrently" }
            self = .reindex(kind: fields.kind ?? "", concurrently: concurrently)
        case "VacuumStmt": self = .vacuum(isVacuum: fields.is_vacuumcmd ?? false)
        default:
            self = .copy(isFrom: fields.is_from ?? false, toClient: fields.filename == nil && !(fields.is_program ?? false))
        }
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
        case .createIndex(true): .nonTransactional("CREATE INDEX CONCURRENTLY")
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
