import Foundation

/// Follows SQLite table rebuilds through the migrations, in a scratch database that holds the
/// schema so far, and names the columns a rebuild loses: the old table had them, and the new
/// table or the `INSERT INTO new … SELECT … FROM old` that fills it does not carry them over.
///
/// Both recipes are followed: SQLite's own (create `new`, copy, drop `old`, rename `new` to
/// `old`) and the other order (rename `old` to `tmp`, create `old`, copy from `tmp`, drop `tmp`).
/// The scratch database is made only once a script rebuilds a table; the scripts before it are
/// kept as text until then, so a chain without rebuilds costs nothing.
final class SQLiteRebuildTracker {
    private var scratch: SQLiteScratchDatabase?
    /// Earlier scripts not yet run in the scratch database: merged ones unread, the branch's
    /// as their statements (views of the script's bytes, not copies).
    private var pending: [Pending] = []

    private enum Pending {
        case script(Script)
        case statements([SQLStatement])
    }

    /// A merged migration, kept for the scratch database in case a later script rebuilds a table.
    func remember(_ script: Script) {
        if let scratch { Self.replay(.script(script), into: scratch) } else { pending.append(.script(script)) }
    }

    /// `INSERT INTO target [(columns)] SELECT list FROM source`, as a rebuild copies rows.
    private struct Copy {
        let source: String
        let selectList: SQLiteCopyReader.SelectList
        let insertColumns: [String]?
        let line: Int
    }

    /// The hits of a rebuild losing columns in one script, whose statements run in the scratch
    /// database as they are judged.
    func hits(of statements: [SQLStatement]) -> [LintHit] {
        let codes = statements.map { SQLiteLintRules.code(of: $0.text) }
        guard let scratch = scratchDatabase(forRebuildIn: codes) else {
            pending.append(.statements(statements))
            return []
        }
        var hits: [LintHit] = []
        var dropped: [String: [Column]] = [:]
        var renamedAway: [String: (table: String, columns: [Column])] = [:]
        var copies: [String: Copy] = [:]
        for (statement, code) in zip(statements, codes) {
            if let match = code.firstMatch(of: drop) {
                let table = SQLiteCopyReader.tableName(match.output.1)
                if let columns = scratch.columns(of: table) { dropped[table] = columns }
                // The other recipe ends here: `table` held the old rows under a temporary name.
                if let old = renamedAway.removeValue(forKey: table), let columns = scratch.columns(of: old.table) {
                    hits += lost(
                        table: old.table, had: old.columns, now: columns, copy: copies[old.table], from: table,
                        line: statement.startLine)
                }
            } else if let match = code.firstMatch(of: rename) {
                let (from, to) = (SQLiteCopyReader.tableName(match.output.1), SQLiteCopyReader.tableName(match.output.2))
                if let had = dropped.removeValue(forKey: to), let columns = scratch.columns(of: from) {
                    hits += lost(
                        table: to, had: had, now: columns, copy: copies[from], from: to, line: statement.startLine)
                } else if let columns = scratch.columns(of: from) {
                    renamedAway[to] = (from, columns)
                }
            } else if let match = Self.literalsKept(statement.text).firstMatch(of: insertSelect) {
                copies[SQLiteCopyReader.tableName(match.output.1)] = Copy(
                    source: SQLiteCopyReader.tableName(match.output.4),
                    selectList: SQLiteCopyReader.selectList(match.output.3),
                    insertColumns: match.output.2.map(SQLiteCopyReader.columnNames), line: statement.startLine)
            }
            scratch.run(statement.text)
        }
        return hits
    }

    private typealias Column = SQLiteScratchDatabase.Column

    /// The hit when `table`, rebuilt, no longer has all of `had`. A generated column is kept when
    /// the new table has it (it is computed, not copied); `SELECT *` copies by position, so a
    /// column is kept when the insert has a place for it, whatever that place is named.
    private func lost(table: String, had: [Column], now: [Column], copy: Copy?, from source: String, line: Int)
        -> [LintHit]
    {
        let copy = copy.flatMap { $0.source == source ? $0 : nil }
        let names = now.map(\.name)
        let places = copy?.insertColumns?.count ?? now.filter { !$0.isGenerated }.count
        let lost = had.enumerated().filter { position, column in
            guard let copy, !column.isGenerated else { return !names.contains(column.name) }
            switch copy.selectList {
            case .star: return position >= places
            case .columns(let read): return !read.contains(column.name)
            }
        }.map(\.element)
        guard !lost.isEmpty else { return [] }
        let (one, many) = lost.count == 1 ? ("it", "such column") : ("them", "such columns")
        let what =
            copy == nil || lost.allSatisfy(\.isGenerated)
            ? "the new table has no \(many)" : "the INSERT … SELECT that fills the new table does not copy \(one)"
        return [
            LintHit(
                rule: .sqliteRebuildLosesColumn, line: copy?.line ?? line,
                message: "the rebuild of \(table) loses \(lost.map(\.name).joined(separator: ", ")): \(what)")
        ]
    }

    /// The scratch database, brought up to date, when `codes` rebuild a table; nil otherwise.
    private func scratchDatabase(forRebuildIn codes: [String]) -> SQLiteScratchDatabase? {
        if scratch == nil {
            guard codes.contains(where: { $0.contains(drop) }),
                codes.contains(where: { $0.contains(rename) }),
                let database = try? SQLiteScratchDatabase()
            else { return nil }
            for earlier in pending { Self.replay(earlier, into: database) }
            pending = []
            scratch = database
        }
        return scratch
    }

    /// Runs what changes the schema of an earlier script: rows (a seed's `INSERT`s) have no
    /// bearing on a table's columns.
    private static func replay(_ earlier: Pending, into database: SQLiteScratchDatabase) {
        let statements: [SQLStatement]
        switch earlier {
        case .statements(let read): statements = read
        case .script(let script): statements = (try? SQLiteSQLReader().read(script.sql).statements) ?? []
        }
        for statement in statements {
            let text = statement.text
            let word = text.prefix { $0.isLetter }.uppercased()
            if !["INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT", "WITH", "VALUES"].contains(word) {
                database.run(text)
            }
        }
    }

    // MARK: - Reading statements

    /// The statement without comments and with every string literal emptied to `''`: a literal
    /// stays a value (`'' email` is not a column), though its text cannot pass for SQL.
    private static func literalsKept(_ text: String) -> String {
        text.replacing(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//) { $0.output.hasPrefix("'") ? "''" : " " }
    }

    // A table name: `users`, `"my users"`, `main.[users]` (a doubled quote stands for itself).
    private let drop =
        /^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?((?:(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+)\s*\.\s*)?(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+))/
        .ignoresCase()
    private let rename =
        /^\s*ALTER\s+TABLE\s+((?:(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+)\s*\.\s*)?(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+))\s+RENAME\s+TO\s+((?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+))/
        .ignoresCase()
    private let insertSelect =
        /^\s*(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?INTO\s+((?:(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+)\s*\.\s*)?(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+))\s*(?:\(([^)]*)\))?\s*SELECT\s+(?:DISTINCT\s+|ALL\s+)?([\s\S]*?)\s+FROM\s+((?:(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+)\s*\.\s*)?(?:(?:"[^"]*")+|`[^`]*`|\[[^\]]*\]|\w+))/
        .ignoresCase()
}
