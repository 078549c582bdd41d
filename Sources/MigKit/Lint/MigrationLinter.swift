import Foundation

/// One up script for the linter: linted, or only read for the tables it creates (an earlier
/// migration of the branch that was not asked for).
public struct LintTarget: Sendable {
    public let script: Script
    /// The file as findings show it, relative to the project root.
    public let path: String
    public let isLinted: Bool
    /// Whether the branch adds the migration: what it creates has no readers yet, so later
    /// migrations of the branch may lock it freely.
    public let isNewOnBranch: Bool

    public init(script: Script, path: String, isLinted: Bool = true, isNewOnBranch: Bool) {
        self.script = script
        self.path = path
        self.isLinted = isLinted
        self.isNewOnBranch = isNewOnBranch
    }
}

/// Runs the lint rules of the project's dialect over migrations, in order, and turns what they
/// find into `Diagnostic`s: suppressions applied, levels from `[lint]`, each with the rule's why
/// and its safe sequence as the hint.
///
/// Whether a script runs in a transaction is decided as the runner decides it (`TransactionMode`:
/// its directives and its statements), never guessed. SQLite has no rules yet: it lints clean.
public struct MigrationLinter {
    private let configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public func lint(_ targets: [LintTarget]) -> [Diagnostic] {
        guard configuration.migrations.dialect == .postgres else { return [] }
        let rules = PostgresLintRules(
            postgresVersion: configuration.lint.postgresVersion ?? 15,
            sessionLockTimeout: configuration.database.lockTimeout != nil)
        var branchMemory = LintMemory()
        var diagnostics: [Diagnostic] = []
        for target in targets {
            var memory = branchMemory
            let hits = Self.hits(of: target.script, rules: rules, memory: &memory)
            if target.isNewOnBranch { branchMemory = memory }
            if target.isLinted { diagnostics += hits.compactMap { diagnostic($0, in: target) } }
        }
        return diagnostics
    }

    /// The script's findings, suppressions applied.
    private static func hits(of script: Script, rules: PostgresLintRules, memory: inout LintMemory) -> [LintHit] {
        let reading: SQLScript
        do {
            reading = try PostgresSQLReader().read(script.sql)
        } catch {
            return [LintHit(rule: .syntaxError, line: error.line, message: error.message)]
        }
        var nodes: [(node: PostgresLintNode, line: Int)] = []
        var hits: [LintHit] = []
        for statement in reading.statements {
            hits += PostgresLintRules.longIdentifiers(in: statement.text, line: statement.startLine)
            do {
                let tree = try PgQuery.parse(Array(statement.text.utf8)[...])
                nodes += try PostgresLintNode.statements(inTree: tree).map { ($0, statement.startLine) }
            } catch {
                hits.append(LintHit(rule: .syntaxError, line: statement.startLine, message: "PostgreSQL's parser cannot read this statement: \(error)"))
            }
        }
        hits += rules.hits(of: nodes, mode: TransactionMode(script: script, reading: reading), memory: &memory)
        let suppressions = LintSuppressions(sql: script.sql, statementLines: reading.statements.map(\.startLine))
        return hits.filter { !suppressions.silences($0) } + suppressions.problems
    }

    private func diagnostic(_ hit: LintHit, in target: LintTarget) -> Diagnostic? {
        let level = configuration.lint.levels[hit.rule]
        if level == .off { return nil }
        let severity: Severity =
            switch level {
            case .error: .error
            case .warning: .warning
            default: hit.rule.defaultSeverity
            }
        return Diagnostic(
            code: .lint, rule: hit.rule, severity: severity,
            location: SourceLocation(path: target.path, line: target.script.fileLine(forScriptLine: hit.line)),
            message: "\(hit.message): \(hit.rule.why)", hint: "safe way: " + hit.rule.fix)
    }
}
