import TOMLKit

/// A migration's settings file, read as its tool reads it: diesel's `metadata.toml`
/// (`run_in_transaction = false`) for the whole migration, Flyway's `V1__x.sql.conf`
/// (`executeInTransaction=false`) for one script.
struct ScriptSettings {
    /// A settings file that cannot be read, at a line of it.
    struct Failure: Error, Equatable {
        let line: Int?
        let message: String
    }

    /// A key mig does not apply, so the catalog can say so rather than drop it silently.
    struct UnknownKey: Equatable {
        let name: String
        let line: Int?
    }

    enum Format {
        case dieselMetadata
        case flywayConf

        var transactionKey: String {
            switch self {
            case .dieselMetadata: "run_in_transaction"
            case .flywayConf: "executeInTransaction"
            }
        }
    }

    /// The scripts (`.up`, `.down`, or `.both` for all) a setting takes out of transactions.
    private var outsideTransaction: Set<FileName.Part> = []

    /// Reads one settings file for `part` and returns the keys mig does not apply.
    mutating func read(_ text: String, of part: FileName.Part, format: Format) throws(Failure) -> [UnknownKey] {
        let entries = try format == .dieselMetadata ? Self.tomlEntries(text) : Self.propertiesEntries(text)
        var unknown: [UnknownKey] = []
        for entry in entries {
            guard entry.key == format.transactionKey else {
                unknown.append(UnknownKey(name: entry.key, line: entry.line))
                continue
            }
            switch entry.value.lowercased() {
            case "true": outsideTransaction.remove(part)
            case "false": outsideTransaction.insert(part)
            default:
                throw Failure(line: entry.line, message: "`\(entry.key)` must be true or false, not \(entry.value)")
            }
        }
        return unknown
    }

    /// `script` with the settings that apply to the `part` it is.
    func applied(to script: Script, part: FileName.Part) -> Script {
        guard outsideTransaction.contains(part) || outsideTransaction.contains(.both), !script.runsOutsideTransaction
        else {
            return script
        }
        return Script(path: script.path, startLine: script.startLine, sql: script.sql, runsOutsideTransaction: true)
    }

    private struct Entry {
        let key: String
        let value: String
        let line: Int?
    }

    private static func tomlEntries(_ text: String) throws(Failure) -> [Entry] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Failure(line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw Failure(line: nil, message: "not valid TOML")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return table.keys.sorted().map { key in
            let line = lines.firstIndex { $0.prefix { $0 != "=" }.trimmingWhitespace() == key }.map { $0 + 1 }
            let item = table[key]!
            return Entry(key: key, value: item.bool.map(String.init) ?? "a \(item.type)", line: line)
        }
    }

    /// Java properties as Flyway reads them: `key=value` lines, `#` and `!` comments.
    private static func propertiesEntries(_ text: String) -> [Entry] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { offset, raw in
            let line = raw.trimmingWhitespace()
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix("!"),
                let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" })
            else { return nil }
            return Entry(
                key: line[..<separator].trimmingWhitespace(),
                value: line[line.index(after: separator)...].trimmingWhitespace(),
                line: offset + 1)
        }
    }
}
