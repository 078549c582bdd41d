/// How a migration script runs, decided from its directive and its statements before anything runs.
public enum TransactionMode: Sendable, Equatable {
    /// In mig's transaction, together with its history row: all or nothing.
    case wrapped
    /// Statement by statement without a transaction, each done statement remembered in a `dirty`
    /// history row so a failed run resumes after it; `reason` says why (a directive or a statement).
    case outsideTransaction(reason: String)
    /// The script has its own `BEGIN`/`COMMIT`/`ROLLBACK` (first at `line` of the script): it runs
    /// as written, statement by statement, and is never run where it cannot be undone (a dry run,
    /// a rehearsal).
    case selfManaged(line: Int)

    public init(script: Script, reading: SQLScript) {
        if let control = reading.transactionControl {
            self = .selfManaged(line: control.startLine)
        } else if script.runsOutsideTransaction {
            self = .outsideTransaction(reason: "its no-transaction directive")
        } else if let (statement, name) = reading.firstNonTransactional {
            self = .outsideTransaction(
                reason:
                    "\(name) at line \(script.fileLine(forScriptLine: statement.startLine)) cannot run in a transaction"
            )
        } else {
            self = .wrapped
        }
    }

    /// How `script` runs in a project of `dialect`, read with the dialect's reader.
    public init(script: Script, dialect: Dialect) throws(SQLReadError) {
        self.init(script: script, reading: try dialect.reader.read(script.sql))
    }

    /// Why the script does not run in mig's transaction; `nil` when it does.
    public var reason: String? {
        switch self {
        case .wrapped: nil
        case .outsideTransaction(let reason): reason
        case .selfManaged(let line): "it has its own transaction control (line \(line) of the script)"
        }
    }

    /// A short name for machine-readable output: `transaction`, `none` or `own`.
    public var name: String {
        switch self {
        case .wrapped: "transaction"
        case .outsideTransaction: "none"
        case .selfManaged: "own"
        }
    }
}

/// Reads each script of a run once with the dialect's `SQLReader`, so the whole plan is read — and
/// a script the reader rejects is reported — before anything runs.
final class ScriptReadings {
    private let reader: any SQLReader
    private var readings: [String: SQLScript] = [:]

    init(dialect: Dialect) { reader = dialect.reader }

    /// The reading of `script`, or its error placed on the line of the file.
    func read(_ script: Script) throws(ScriptReadError) -> SQLScript {
        let key = script.path + "\u{0}" + script.checksum
        if let known = readings[key] { return known }
        do {
            let reading = try reader.read(script.sql)
            readings[key] = reading
            return reading
        } catch {
            throw ScriptReadError(
                path: script.path, line: script.fileLine(forScriptLine: error.line), message: error.message)
        }
    }
}

/// A script its dialect's reader rejected, at a line of its file.
struct ScriptReadError: Error {
    let path: String
    let line: Int
    let message: String
}
