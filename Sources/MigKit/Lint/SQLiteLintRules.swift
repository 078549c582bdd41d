/// The SQLite rules: `ALTER TABLE` forms SQLite refuses, switching foreign keys off where it
/// does nothing (inside a transaction) or without checking them afterwards (a table rebuild
/// that leaves dangling references), and table rebuilds that lose a column. It keeps the
/// schema the migrations build so far, so one instance lints one chain of migrations in order.
final class SQLiteLintRules: ScriptLintRules {
    private let rebuilds = SQLiteRebuildTracker()

    /// What SQLite's `ALTER TABLE` accepts after the table's name.
    private static let supportedAlterActions: Set<String> = ["RENAME", "ADD", "DROP"]
    /// Words after `ADD`/`DROP` that make the action one SQLite refuses.
    private static let constraintWords: Set<String> = ["CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK"]

    /// The rules read the statements as they are.
    func prepare(_ reading: SQLScript) -> SQLScript { reading }

    func hits(of reading: SQLScript, mode: TransactionMode, memory: inout LintMemory) -> [LintHit] {
        var hits: [LintHit] = []
        var foreignKeysOff: Int?
        for statement in reading.statements {
            let words = Self.words(of: statement.text)
            let line = statement.startLine
            if words.starts(with: ["ALTER", "TABLE"]), let action = Self.refusedAlterAction(words) {
                hits.append(
                    LintHit(
                        rule: .sqliteUnsupportedAlterTable, line: line,
                        message: "ALTER TABLE … \(action), which SQLite refuses"))
            }
            guard words.starts(with: ["PRAGMA"]) else { continue }
            if words.count >= 3, words[1] == "FOREIGN_KEYS", ["OFF", "0", "FALSE", "NO"].contains(words[2]) {
                if mode == .wrapped {
                    hits.append(
                        LintHit(
                            rule: .sqliteForeignKeysOff, line: line,
                            message: "PRAGMA foreign_keys = OFF inside mig's transaction, where SQLite ignores it"))
                } else {
                    foreignKeysOff = line
                }
            }
            if words.count >= 2, words[1] == "FOREIGN_KEY_CHECK" { foreignKeysOff = nil }
        }
        hits += rebuilds.hits(of: reading.statements)
        if let line = foreignKeysOff {
            hits.append(
                LintHit(
                    rule: .sqliteForeignKeysOff, line: line,
                    message: "PRAGMA foreign_keys = OFF without a PRAGMA foreign_key_check after the change"))
        }
        return hits
    }

    /// A merged migration only matters to the rebuild rule, for its tables' columns.
    func remember(_ script: Script, memory: inout LintMemory) {
        rebuilds.remember(script)
    }

    /// The statement without its comments and quoted strings.
    static func code(of text: String) -> String {
        text.replacing(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//, with: " ")
    }

    /// The statement's words in upper case, comments and quoted text dropped.
    private static func words(of text: String) -> [String] {
        code(of: text).split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "\"" || $0 == "`") }.map {
            $0.uppercased()
        }
    }

    /// The action of `ALTER TABLE [schema.]name ACTION …` when SQLite refuses it.
    private static func refusedAlterAction(_ words: [String]) -> String? {
        var index = 2
        if words.count > index + 1, words[index] == "IF" { index += 2 }
        index += 1
        guard index < words.count else { return nil }
        // `schema.table`: the split dropped the dot, so a second name word may follow.
        if !supportedAlterActions.contains(words[index]), index + 1 < words.count,
            supportedAlterActions.contains(words[index + 1])
        {
            index += 1
        }
        let action = words[index]
        guard supportedAlterActions.contains(action) else { return action }
        if action != "RENAME", index + 1 < words.count, constraintWords.contains(words[index + 1]) {
            return "\(action) \(words[index + 1])"
        }
        return nil
    }
}
