/// The parse-tree nodes of one statement that matter to how mig runs it, decoded from
/// libpg_query's parse tree; every other node is `.other`.
enum PostgresStatementNode: Equatable {
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

    /// Statements that never run inside a transaction block, by node name.
    private static let outsideTransaction = [
        "AlterSystemStmt": "ALTER SYSTEM", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
        "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE",
    ]

    /// The node of one statement (`{NodeName: {…}}`).
    init(_ statement: PgJSON) {
        guard let (name, fields) = statement.node else {
            self = .other
            return
        }
        if let statement = Self.outsideTransaction[name] {
            self = .alwaysOutsideTransaction(statement)
            return
        }
        switch name {
        case "TransactionStmt": self = .transaction(kind: fields["kind"]?.string ?? "")
        case "IndexStmt":
            let schema = fields["relation"]?["schemaname"]?.string
            let name = fields["idxname"]?.string.map { index in schema.map { "\($0).\(index)" } ?? index }
            self = .createIndex(concurrently: fields["concurrent"]?.bool ?? false, name: name)
        case "DropStmt": self = .drop(concurrently: fields["concurrent"]?.bool ?? false)
        case "ReindexStmt":
            let concurrently = (fields["params"]?.array ?? []).contains {
                $0["DefElem"]?["defname"]?.string == "concurrently"
            }
            self = .reindex(kind: fields["kind"]?.string ?? "", concurrently: concurrently)
        case "VacuumStmt": self = .vacuum(isVacuum: fields["is_vacuumcmd"]?.bool ?? false)
        case "VariableSetStmt" where fields["name"]?.string == "standard_conforming_strings":
            let value = fields["args"]?.array?.first?["A_Const"]?["sval"]?["sval"]?.string?.lowercased()
            self = .standardConformingStrings(
                on: fields["kind"]?.string != "VAR_SET_VALUE" || ["on", "true", "yes"].contains(value))
        case "CopyStmt":
            self = .copy(
                isFrom: fields["is_from"]?.bool ?? false,
                toClient: fields["filename"]?.string == nil && !(fields["is_program"]?.bool ?? false))
        default: self = .other
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
