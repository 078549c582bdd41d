/// What a lint rule found at one statement, before suppressions and `[lint]` levels apply.
struct LintHit: Sendable, Equatable {
    let rule: LintRule
    /// 1-based line of the script on which the statement starts.
    let line: Int
    let message: String
}

/// What the migrations linted so far on this branch created: lock rules do not apply to these
/// tables (nobody reads them yet), and a `CHECK (col IS NOT NULL)` validated earlier lets a later
/// `SET NOT NULL` skip its scan.
struct LintMemory: Sendable {
    var newTables: Set<String> = []
    var newIndexes: Set<String> = []
    /// `table.column` proven NOT NULL by a validated CHECK.
    var provenNotNull: Set<String> = []
    /// NOT VALID `CHECK (col IS NOT NULL)` constraints by name, waiting for `VALIDATE CONSTRAINT`.
    var pendingNotNullChecks: [String: String] = [:]

    /// Takes what `other` knows about columns, not the tables it created: for a migration
    /// merged before the branch, whose tables already exist.
    mutating func keepFacts(of other: LintMemory) {
        provenNotNull = other.provenNotNull
        pendingNotNullChecks = other.pendingNotNullChecks
    }
}

/// The PostgreSQL rules over one script's parse trees: walks its statements in order, tracking
/// the transaction block, `SET lock_timeout` and the tables created so far.
struct PostgresLintRules: ScriptLintRules {
    /// The PostgreSQL version the project deploys to (major number).
    let postgresVersion: Int
    /// Whether mig itself sets `lock_timeout` for every migration (`[database] lock_timeout`).
    let sessionLockTimeout: Bool

    static let serialTypes: Set<String> = ["serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"]
    static let narrowIntegerTypes: Set<String> = ["int2", "int4", "serial", "serial2", "serial4", "smallserial"]
    /// Functions whose value changes from row to row: as a column default they force a rewrite.
    static let volatileFunctions: Set<String> = [
        "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
        "timeofday", "nextval", "txid_current", "setseed",
    ]

    /// Identifiers longer than PostgreSQL keeps (63 bytes) in a statement's text: the parser
    /// truncates them silently, so the parse tree cannot tell. A scan over the bytes, passing
    /// over `'…'` strings and `--` comments: a regular expression here, built again for every
    /// statement, took most of the lint's time.
    static func longIdentifiers(in text: String, line: Int) -> [LintHit] {
        var text = text
        return text.withUTF8 { bytes in
            longNames(in: bytes).map { name in
                let text = String(decoding: name, as: UTF8.self)
                return LintHit(
                    rule: .identifierTooLong, line: line,
                    message: "the name \(text) has \(name.count) bytes; PostgreSQL keeps 63")
            }
        }
    }

    /// The names over 63 bytes in `bytes`, in order; a name is copied out only when it is one
    /// (most statements have none, and copying every name was most of this scan).
    private static func longNames(in bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        let (quote, doubleQuote, dash, newline) = (
            UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "\n")
        )
        let starts: (UInt8) -> Bool = {
            $0 >= 0x80 || $0 == UInt8(ascii: "_") || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A)
        }
        let continues: (UInt8) -> Bool = {
            starts($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "$")
        }
        var names: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote || byte == doubleQuote {
                // A string or a quoted identifier; a doubled quote stands for one.
                let start = index + 1
                var length = 0
                index += 1
                while index < bytes.count {
                    if bytes[index] == byte {
                        guard index + 1 < bytes.count, bytes[index + 1] == byte else { break }
                        index += 1
                    }
                    length += 1
                    index += 1
                }
                if byte == doubleQuote, length > 63 {
                    var name: [UInt8] = []
                    var at = start
                    while at < index {
                        if bytes[at] == byte { at += 1 }
                        name.append(bytes[at])
                        at += 1
                    }
                    names.append(name)
                }
                index += 1
            } else if byte == dash, index + 1 < bytes.count, bytes[index + 1] == dash {
                while index < bytes.count, bytes[index] != newline { index += 1 }
            } else if starts(byte) {
                let start = index
                while index < bytes.count, continues(bytes[index]) { index += 1 }
                if index - start > 63 { names.append(Array(bytes[start..<index])) }
            } else {
                index += 1
            }
        }
        return names
    }

    /// A merged migration's NOT VALID `CHECK (col IS NOT NULL)` constraints and their
    /// validations, read only from a script that says `VALID` somewhere, and only its `ALTER`s.
    func remember(_ script: Script, memory: inout LintMemory) {
        guard script.sql.utf8.containsCaseInsensitive("valid"),
            let reading = try? PostgresSQLReader().read(script.sql)
        else { return }
        let alters = reading.statements.filter { $0.text.prefix(5).uppercased() == "ALTER" }
        var scratch = memory
        _ = hits(of: prepare(SQLScript(statements: alters)), mode: .wrapped, memory: &scratch)
        memory.keepFacts(of: scratch)
    }

    /// The statements' lint nodes (with their script lines) and the findings of the statements
    /// alone: too long names, a statement the parser cannot read.
    struct Prepared: Sendable {
        var nodes: [(node: PostgresLintNode, line: Int)] = []
        var problems: [LintHit] = []
    }

    /// Each statement's parse tree (the reader's, else parsed on its own: a `COPY`'s data is not
    /// SQL) as lint nodes.
    func prepare(_ reading: SQLScript) -> Prepared {
        var nodes: [(node: PostgresLintNode, line: Int)] = []
        var problems: [LintHit] = []
        for statement in reading.statements {
            problems += Self.longIdentifiers(in: statement.text, line: statement.startLine)
            if let tree = statement.tree {
                nodes.append((PostgresLintNode(tree), statement.startLine))
                continue
            }
            do {
                let text = SQLText(statement.text)
                let tree = try PgQuery.parse(text, 0..<text.bytes.count)
                nodes += PostgresLintNode.statements(inTree: tree).map { ($0, statement.startLine) }
            } catch {
                problems.append(
                    LintHit(
                        rule: .syntaxError, line: statement.startLine,
                        message: "PostgreSQL's parser cannot read this statement: \(error)"))
            }
        }
        return Prepared(nodes: nodes, problems: problems)
    }

    /// The rules over the statements in order, run in `mode`.
    func hits(of prepared: Prepared, mode: TransactionMode, memory: inout LintMemory) -> [LintHit] {
        var walk = Walk(rules: self, mode: mode, memory: memory)
        for (node, line) in prepared.nodes { walk.visit(node, line: line) }
        if let begin = walk.openBlock {
            walk.hit(.transactionNotCommitted, begin, "BEGIN without a COMMIT before the end of the script")
        }
        memory = walk.memory
        return prepared.problems + walk.hits
    }
}

/// One pass over a script.
private struct Walk {
    let rules: PostgresLintRules
    let mode: TransactionMode
    var memory: LintMemory
    var hits: [LintHit] = []
    /// The line of a `BEGIN` not yet committed.
    var openBlock: Int?
    var lockTimeoutSet = false
    var timeoutReported = false

    init(rules: PostgresLintRules, mode: TransactionMode, memory: LintMemory) {
        self.rules = rules
        self.mode = mode
        self.memory = memory
    }

    mutating func hit(_ rule: LintRule, _ line: Int, _ message: String) {
        hits.append(LintHit(rule: rule, line: line, message: message))
    }

    var outsideTransaction: Bool { if case .outsideTransaction = mode { openBlock == nil } else { false } }
    var insideTransaction: Bool { mode == .wrapped || openBlock != nil }

    func isExisting(_ table: PgRangeVar) -> Bool { !memory.newTables.contains(table.key) }

    /// A lock on an existing table: the first one without a `lock_timeout` is a finding.
    mutating func locks(_ table: String, _ line: Int) {
        guard !lockTimeoutSet, !rules.sessionLockTimeout, !timeoutReported else { return }
        timeoutReported = true
        hit(.requireTimeoutSettings, line, "DDL on \(table), which exists before this branch, without a lock_timeout")
    }

    mutating func robust(_ isGuarded: Bool, _ line: Int, _ what: String) {
        guard outsideTransaction, !isGuarded else { return }
        hit(.preferRobustStmts, line, "\(what) without IF [NOT] EXISTS in a script that runs outside a transaction")
    }

    mutating func visit(_ node: PostgresLintNode, line: Int) {
        switch node {
        case .transaction(let kind):
            switch kind {
            case "TRANS_STMT_BEGIN", "TRANS_STMT_START": openBlock = line
            case "TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE": openBlock = nil
            default: break
            }
        case .set(let name):
            if name == "lock_timeout" { lockTimeoutSet = true }
        case .createTable(let table, let elements, let ifNotExists):
            createTable(table, elements, ifNotExists: ifNotExists, line)
        case .createTableAs(let table):
            memory.newTables.insert(table.key)
        case .createIndex(let index):
            createIndex(index, line)
        case .alterTable(let table, let commands):
            alterTable(table, commands, line)
        case .rename(let rename):
            self.rename(rename, line)
        case .drop(let kind, let names, let ifExists, let concurrently):
            drop(kind, names, ifExists: ifExists, concurrently: concurrently, line)
        case .reindex(let concurrently):
            if concurrently {
                banInTransaction("REINDEX CONCURRENTLY", line)
            } else {
                hit(.requireConcurrentReindex, line, "REINDEX without CONCURRENTLY")
            }
        case .truncate(let tables, let cascade):
            if cascade {
                hit(.banTruncateCascade, line, "TRUNCATE \(tables.map(\.relname).joined(separator: ", ")) CASCADE")
            }
        case .update(let table, let hasWhere):
            if !hasWhere, isExisting(table) {
                hit(
                    .banUpdateWithoutWhere, line,
                    "UPDATE of every row of \(table.relname), which exists before this branch")
            }
        case .delete(let table, let hasWhere):
            if !hasWhere, isExisting(table) {
                hit(
                    .banDeleteWithoutWhere, line,
                    "DELETE of every row of \(table.relname), which exists before this branch")
            }
        case .vacuum(let full, let tables):
            if full, tables.isEmpty || tables.contains(where: isExisting) {
                hit(.banVacuumFull, line, "VACUUM FULL")
            }
        case .cluster(let table):
            if table.map(isExisting) ?? true { hit(.banCluster, line, "CLUSTER") }
        case .alterEnum(let type, _, let neighbour, let oldValue):
            if let neighbour {
                hit(.changingEnumOrder, line, "a value added to \(type) next to '\(neighbour)' rather than at the end")
            }
            if let oldValue { hit(.renamingEnumValue, line, "RENAME VALUE '\(oldValue)' of \(type)") }
        case .other:
            break
        }
    }

    // MARK: - Statements

    private mutating func createTable(_ table: PgRangeVar, _ elements: [PgTableElement], ifNotExists: Bool, _ line: Int)
    {
        memory.newTables.insert(table.key)
        robust(ifNotExists, line, "CREATE TABLE \(table.relname)")
        var keyColumns: Set<String> = []
        var columns: [PgColumnDefinition] = []
        for element in elements {
            switch element {
            case .column(let column): columns.append(column)
            case .constraint(let constraint):
                if constraint.contype == "CONSTR_PRIMARY" || constraint.contype == "CONSTR_FOREIGN" {
                    keyColumns.formUnion(constraint.keys)
                    keyColumns.formUnion(constraint.fk_attrs)
                }
                notNullCheck(constraint, table: table)
            case .other: break
            }
        }
        for column in columns {
            self.column(column, in: table, isKey: keyColumns.contains(column.colname ?? ""), line)
        }
    }

    /// The type rules for a new column, and its own constraints' names.
    private mutating func column(_ column: PgColumnDefinition, in table: PgRangeVar, isKey: Bool, _ line: Int) {
        let constraints = column.constraintList
        let key = isKey || constraints.contains { ["CONSTR_PRIMARY", "CONSTR_FOREIGN"].contains($0.contype) }
        guard let type = column.typeName else { return }
        self.type(type, column: "\(table.relname).\(column.colname ?? "?")", isKey: key, line)
    }

    private mutating func type(_ type: PgTypeName, column: String, isKey: Bool, _ line: Int) {
        let name = type.name
        switch name {
        case "timestamp": hit(.preferTimestamptz, line, "\(column) is timestamp without time zone")
        case "bpchar": hit(.banCharField, line, "\(column) is char(n)")
        case "varchar" where type.hasModifiers: hit(.preferTextField, line, "\(column) is varchar(n)")
        case "json": hit(.preferJsonb, line, "\(column) is json")
        default: break
        }
        if PostgresLintRules.serialTypes.contains(name) { hit(.preferIdentity, line, "\(column) is \(name)") }
        if isKey, !type.isArray, PostgresLintRules.narrowIntegerTypes.contains(name) {
            hit(.preferBigintOverInt, line, "the key column \(column) is a 32-bit (or smaller) integer")
        }
    }

    private mutating func createIndex(_ index: PgIndexStatement, _ line: Int) {
        if let name = index.idxname { memory.newIndexes.insert(name) }
        let concurrently = index.concurrent
        robust(index.if_not_exists, line, "CREATE INDEX \(index.idxname ?? "")")
        if concurrently { banInTransaction("CREATE INDEX CONCURRENTLY", line) }
        guard isExisting(index.relation) else { return }
        locks(index.relation.relname, line)
        if !concurrently {
            hit(
                .requireConcurrentIndexCreation, line,
                "CREATE INDEX on \(index.relation.relname), which exists before this branch, without CONCURRENTLY")
        }
    }

    private mutating func banInTransaction(_ what: String, _ line: Int) {
        guard insideTransaction else { return }
        hit(.banConcurrentIndexCreationInTransaction, line, "\(what) inside a transaction block")
    }

    private mutating func alterTable(_ table: PgRangeVar, _ commands: [PgAlterTableCommand], _ line: Int) {
        let existing = isExisting(table)
        if existing { locks(table.relname, line) }
        let relname = table.relname
        for command in commands {
            let column = "\(relname).\(command.name ?? command.column?.colname ?? "?")"
            switch command.subtype {
            case "AT_AddColumn":
                guard let definition = command.column else { continue }
                robust(command.missing_ok, line, "ADD COLUMN \(definition.colname ?? "")")
                self.column(definition, in: table, isKey: false, line)
                if existing { addColumn(definition, to: relname, line) }
            case "AT_AlterColumnType":
                if let type = command.column?.typeName { self.type(type, column: column, isKey: false, line) }
                if existing {
                    hit(.changingColumnType, line, "ALTER COLUMN TYPE of \(column), which exists before this branch")
                }
            case "AT_SetNotNull":
                let proven = rules.postgresVersion >= 12 && memory.provenNotNull.contains(column)
                if existing, !proven {
                    hit(
                        .addingNotNullableField, line,
                        "SET NOT NULL on \(column) without a validated CHECK (\(command.name ?? "") IS NOT NULL)")
                }
            case "AT_AddConstraint":
                guard let constraint = command.constraint else { continue }
                notNullCheck(constraint, table: table)
                if existing { addConstraint(constraint, to: relname, line) }
            case "AT_ValidateConstraint":
                if let name = command.name, let proven = memory.pendingNotNullChecks.removeValue(forKey: name) {
                    memory.provenNotNull.insert(proven)
                }
            case "AT_DropColumn":
                robust(command.missing_ok, line, "DROP COLUMN \(command.name ?? "")")
                if existing { hit(.banDropColumn, line, "DROP COLUMN \(column), which exists before this branch") }
            case "AT_DropNotNull":
                if existing { hit(.banDropNotNull, line, "DROP NOT NULL on \(column)") }
            case "AT_DetachPartition":
                if existing, case .partition(concurrently: false) = command.def {
                    hit(
                        .requireConcurrentDetachPartition, line, "DETACH PARTITION from \(relname) without CONCURRENTLY"
                    )
                }
            default: break
            }
        }
    }

    private mutating func addColumn(_ column: PgColumnDefinition, to table: String, _ line: Int) {
        let name = "\(table).\(column.colname ?? "?")"
        let constraints = column.constraintList
        let defaultValue = constraints.first { $0.contype == "CONSTR_DEFAULT" }
        if let defaultValue {
            let volatile = (defaultValue.raw_expr?.functionNames ?? []).filter(
                PostgresLintRules.volatileFunctions.contains)
            if let function = volatile.first {
                hit(.addingFieldWithDefault, line, "ADD COLUMN \(name) with the volatile default \(function)()")
            } else if rules.postgresVersion < 11 {
                hit(.addingFieldWithDefault, line, "ADD COLUMN \(name) with a DEFAULT, before PostgreSQL 11")
            }
        }
        let generatesValues = constraints.contains { ["CONSTR_IDENTITY", "CONSTR_GENERATED"].contains($0.contype) }
        if constraints.contains(where: { $0.contype == "CONSTR_NOTNULL" || $0.contype == "CONSTR_PRIMARY" }),
            defaultValue == nil,
            !generatesValues
        {
            hit(.addingRequiredField, line, "ADD COLUMN \(name) NOT NULL without a DEFAULT")
        }
        for constraint in constraints {
            switch constraint.contype {
            case "CONSTR_FOREIGN":
                hit(.addingForeignKeyConstraint, line, "ADD COLUMN \(name) REFERENCES validates every row at once")
            case "CONSTR_UNIQUE": hit(.disallowedUniqueConstraint, line, "ADD COLUMN \(name) UNIQUE")
            case "CONSTR_PRIMARY": hit(.addingPrimaryKeyConstraint, line, "ADD COLUMN \(name) PRIMARY KEY")
            default: break
            }
        }
    }

    private mutating func addConstraint(_ constraint: PgConstraint, to table: String, _ line: Int) {
        let label = constraint.conname.map { "ADD CONSTRAINT \($0)" } ?? "ADD CONSTRAINT"
        switch constraint.contype {
        case "CONSTR_FOREIGN" where !constraint.isNotValid:
            hit(.addingForeignKeyConstraint, line, "\(label) FOREIGN KEY on \(table) without NOT VALID")
        case "CONSTR_CHECK" where !constraint.isNotValid:
            hit(.constraintMissingNotValid, line, "\(label) CHECK on \(table) without NOT VALID")
        case "CONSTR_UNIQUE" where constraint.indexname == nil:
            hit(
                .disallowedUniqueConstraint, line, "\(label) UNIQUE on \(table) builds its index under the table's lock"
            )
        case "CONSTR_PRIMARY" where constraint.indexname == nil:
            hit(
                .addingPrimaryKeyConstraint, line,
                "\(label) PRIMARY KEY on \(table) builds its index under the table's lock")
        default: break
        }
    }

    /// Remembers a `CHECK (col IS NOT NULL)`: proven at once when validated, else once `VALIDATE CONSTRAINT` runs.
    private mutating func notNullCheck(_ constraint: PgConstraint, table: PgRangeVar) {
        guard constraint.contype == "CONSTR_CHECK", let column = constraint.raw_expr?.notNullColumn else { return }
        let key = "\(table.relname).\(column)"
        if !constraint.isNotValid {
            memory.provenNotNull.insert(key)
        } else if let name = constraint.conname {
            memory.pendingNotNullChecks[name] = key
        }
    }

    private mutating func rename(_ rename: PgRenameStatement, _ line: Int) {
        switch rename.renameType {
        case "OBJECT_COLUMN":
            guard let table = rename.relation, isExisting(table) else { return }
            locks(table.relname, line)
            hit(
                .renamingColumn, line,
                "RENAME COLUMN \(table.relname).\(rename.subname ?? "") to \(rename.newname ?? "")")
        case "OBJECT_TABLE":
            guard let table = rename.relation else { return }
            if isExisting(table) {
                locks(table.relname, line)
                hit(.renamingTable, line, "RENAME TABLE \(table.relname) to \(rename.newname ?? "")")
            } else if let newName = rename.newname {
                memory.newTables.insert(newName)
            }
        case "OBJECT_SCHEMA":
            hit(.renamingSchema, line, "RENAME SCHEMA \(rename.subname ?? "") to \(rename.newname ?? "")")
        default: break
        }
    }

    private mutating func drop(_ kind: String, _ names: [String], ifExists: Bool, concurrently: Bool, _ line: Int) {
        switch kind {
        case "OBJECT_TABLE":
            robust(ifExists, line, "DROP TABLE")
            for table in names where !memory.newTables.contains(table) {
                locks(table, line)
                hit(.banDropTable, line, "DROP TABLE \(table), which exists before this branch")
            }
        case "OBJECT_INDEX":
            robust(ifExists, line, "DROP INDEX")
            if concurrently { banInTransaction("DROP INDEX CONCURRENTLY", line) }
            for index in names where !memory.newIndexes.contains(index) {
                locks(index, line)
                if !concurrently {
                    hit(
                        .requireConcurrentIndexDeletion, line,
                        "DROP INDEX \(index), which exists before this branch, without CONCURRENTLY")
                }
            }
        default: break
        }
    }
}

extension String.UTF8View {
    /// Whether `word` (ASCII letters) occurs, in any case: a byte scan, no copy of a large script.
    /// Knuth–Morris–Pratt, so that a failed partial match resumes at the longest prefix of the
    /// word that is still matched (`aab` in `aaab`).
    func containsCaseInsensitive(_ word: String) -> Bool {
        let needle = Array(word.lowercased().utf8)
        guard !needle.isEmpty else { return true }
        // fallback[i]: the length of the longest proper prefix of needle[0...i] that is also its suffix.
        var fallback = [Int](repeating: 0, count: needle.count)
        var length = 0
        for index in needle.indices.dropFirst() {
            while length > 0, needle[index] != needle[length] { length = fallback[length - 1] }
            if needle[index] == needle[length] { length += 1 }
            fallback[index] = length
        }
        var matched = 0
        for byte in self {
            let lower = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            while matched > 0, lower != needle[matched] { matched = fallback[matched - 1] }
            if lower == needle[matched] {
                matched += 1
                if matched == needle.count { return true }
            }
        }
        return false
    }
}
