import Foundation

/// The lint rules of one dialect, over one script as its `SQLReader` read it.
protocol ScriptLintRules {
    /// What the rules take from one script on its own, before anything other scripts teach them.
    associatedtype Prepared: Sendable
    /// Works out `Prepared` from a reading; called for many scripts at once, on several threads,
    /// so it reads nothing but its argument and the rules' constants.
    func prepare(_ reading: SQLScript) -> Prepared
    /// The findings (at script lines) of a script that runs in `mode`; `memory` learns what it creates.
    func hits(of prepared: Prepared, mode: TransactionMode, memory: inout LintMemory) -> [LintHit]
    /// Learns from a migration merged before the branch, which is not linted, only what later
    /// rules need, reading as little of it as it can (a merged seed file may be large).
    func remember(_ script: Script, memory: inout LintMemory)
}

/// One up script for the linter: linted, or only read for what it leaves behind (an earlier
/// migration of the branch that was not asked for: the tables it creates; a migration merged
/// before the branch: its NOT VALID checks, and for SQLite its tables' columns).
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
/// its directives and its statements), never guessed.
public struct MigrationLinter {
    private let configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public func lint(_ targets: [LintTarget]) -> [Diagnostic] {
        switch configuration.migrations.dialect {
        case .postgres:
            lint(
                targets,
                rules: PostgresLintRules(
                    postgresVersion: configuration.lint.postgresVersion ?? 15,
                    sessionLockTimeout: configuration.database.lockTimeout != nil))
        case .sqlite: lint(targets, rules: SQLiteLintRules())
        }
    }

    /// Each script is read, parsed and prepared on its own, on every core; the rules then walk
    /// the scripts in order, since what one migration creates or proves carries to the next.
    private func lint<Rules: ScriptLintRules>(_ targets: [LintTarget], rules: Rules) -> [Diagnostic] {
        let reader = configuration.migrations.dialect.reader
        let readings = targets.mapInParallel(true) { target in
            target.isLinted || target.isNewOnBranch ? ScriptReading(target.script, reader: reader, rules: rules) : nil
        }
        var branchMemory = LintMemory()
        var diagnostics: [Diagnostic] = []
        for (target, reading) in zip(targets, readings) {
            guard let reading else {
                rules.remember(target.script, memory: &branchMemory)
                continue
            }
            var memory = branchMemory
            let hits = reading.hits(rules: rules, memory: &memory)
            // What a merged migration creates exists before the branch: only its facts carry over.
            if target.isNewOnBranch { branchMemory = memory } else { branchMemory.keepFacts(of: memory) }
            if target.isLinted { diagnostics += hits.compactMap { diagnostic($0, in: target) } }
        }
        return diagnostics
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

/// One script as the linter reads it before the rules walk it: what the rules prepared, how it
/// runs and its suppressions; or why it cannot be read.
private enum ScriptReading<Prepared: Sendable>: Sendable {
    case read(Prepared, mode: TransactionMode, suppressions: LintSuppressions)
    case unreadable(LintHit)

    init<Rules: ScriptLintRules>(_ script: Script, reader: any SQLReader, rules: Rules)
    where Rules.Prepared == Prepared {
        do {
            let reading = try reader.read(script.sql)
            self = .read(
                rules.prepare(reading), mode: TransactionMode(script: script, reading: reading),
                suppressions: LintSuppressions(sql: script.sql, statementLines: reading.statements.map(\.startLine)))
        } catch {
            self = .unreadable(LintHit(rule: .syntaxError, line: error.line, message: error.message))
        }
    }

    /// The script's findings, suppressions applied.
    func hits<Rules: ScriptLintRules>(rules: Rules, memory: inout LintMemory) -> [LintHit]
    where Rules.Prepared == Prepared {
        switch self {
        case .unreadable(let hit): return [hit]
        case .read(let prepared, let mode, let suppressions):
            let hits = rules.hits(of: prepared, mode: mode, memory: &memory)
            return hits.filter { !suppressions.silences($0) } + suppressions.problems
        }
    }
}
