import TOMLKit

/// Reads `.migrate/config.toml` into a `Configuration`, rejecting unknown keys and wrong types
/// with the key and the line, so a typo never silently falls back to a default.
public enum ConfigurationFile {
    /// The file's path relative to the project root.
    public static let relativePath = ".migrate/config.toml"

    /// A config file that cannot be used, and where.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let line: Int?
        public let message: String

        public var description: String {
            "\(SourceLocation(path: path, line: line)): \(message)"
        }
    }

    /// Parses `text` (the contents of the file at `path`, used in errors).
    public static func parse(_ text: String, path: String = relativePath) throws(Failure) -> Configuration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Failure(path: path, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw Failure(path: path, line: nil, message: "not valid TOML: \(error)")
        }
        var reader = TableReader(text: text, path: path)
        var configuration = Configuration()
        try reader.readSections(of: table, into: &configuration)
        return configuration
    }
}

/// Walks the parsed TOML, one known key at a time.
private struct TableReader {
    let path: String
    let lines: [Substring]

    init(text: String, path: String) {
        self.path = path
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    mutating func readSections(of root: TOMLTable, into configuration: inout Configuration) throws(ConfigurationFile.Failure) {
        for key in root.keys {
            guard let section = root[key]?.table else {
                throw failure(section: nil, key: key, "unknown top-level key `\(key)`: expected one of the sections [migrations], [git], [database], [shadow], [lint], [placeholders]")
            }
            switch key {
            case "migrations": try readMigrations(section, into: &configuration.migrations)
            case "git": try readGit(section, into: &configuration.git)
            case "database": try readDatabase(section, into: &configuration.database)
            case "shadow": try readShadow(section, into: &configuration.shadow)
            case "lint": try readLint(section, into: &configuration.lint)
            case "placeholders":
                for name in section.keys { configuration.placeholders[name] = try string(section[name]!, key, name) }
            default:
                throw failure(
                    section: nil, key: key, "unknown section [\(key)]: expected [migrations], [git], [database], [shadow], [lint] or [placeholders]")
            }
        }
    }

    private func readMigrations(_ table: TOMLTable, into value: inout Configuration.Migrations) throws(ConfigurationFile.Failure) {
        let section = "migrations"
        for key in table.keys {
            let item = table[key]!
            switch key {
            case "dir": value.directory = try directory(item, section, key)
            case "layout":
                let text = try string(item, section, key)
                if text == "auto" {
                    value.layout = .auto
                } else {
                    value.layout = .fixed(try choice(text, Layout.self, section, key, extra: ["auto"]))
                }
            case "versioning": value.versioning = try choice(try string(item, section, key), VersioningScheme.self, section, key)
            case "dialect": value.dialect = try choice(try string(item, section, key), Dialect.self, section, key)
            case "require_down": value.requireDown = try bool(item, section, key)
            case "guard": value.guardFile = try bool(item, section, key)
            case "ignore": value.ignore = try strings(item, section, key)
            default:
                throw unknown(section, key, known: ["dir", "layout", "versioning", "dialect", "require_down", "guard", "ignore"])
            }
        }
    }

    private func readGit(_ table: TOMLTable, into value: inout Configuration.Git) throws(ConfigurationFile.Failure) {
        for key in table.keys {
            switch key {
            case "base": value.base = try string(table[key]!, "git", key)
            default: throw unknown("git", key, known: ["base"])
            }
        }
    }

    private func readDatabase(_ table: TOMLTable, into value: inout Configuration.Database) throws(ConfigurationFile.Failure) {
        let section = "database"
        for key in table.keys {
            let item = table[key]!
            switch key {
            case "url": value.url = try string(item, section, key)
            case "history_table": value.historyTable = try string(item, section, key)
            case "history_schema": value.historySchema = try string(item, section, key)
            case "lock":
                let lock = try string(item, section, key)
                guard ["advisory", "table"].contains(lock) else {
                    throw failure(section: section, key: key, "`lock` must be \"advisory\" or \"table\", not \"\(lock)\"")
                }
                value.lock = lock
            case "lock_timeout": value.lockTimeout = try string(item, section, key)
            case "statement_timeout": value.statementTimeout = try string(item, section, key)
            case "lock_wait": value.lockWait = try duration(item, section, key)
            case "lock_lease": value.lockLease = try duration(item, section, key)
            case "connect_timeout": value.connectTimeout = try integer(item, section, key)
            case "lock_retries":
                let retries = try integer(item, section, key)
                guard (0...100).contains(retries) else {
                    throw failure(
                        section: section, key: key, "`lock_retries` must be between 0 and 100, not \(retries)")
                }
                value.lockRetries = retries
            default:
                throw unknown(section, key, known: [
                    "url", "history_table", "history_schema", "lock", "lock_timeout", "statement_timeout", "lock_wait",
                    "lock_lease", "connect_timeout", "lock_retries",
                ])
            }
        }
    }

    private func readShadow(_ table: TOMLTable, into value: inout Configuration.Shadow) throws(ConfigurationFile.Failure) {
        for key in table.keys {
            let item = table[key]!
            switch key {
            case "roundtrip": value.roundtrip = try bool(item, "shadow", key)
            case "url": value.url = try string(item, "shadow", key)
            case "cache_size":
                let megabytes = try integer(item, "shadow", key)
                guard megabytes >= 0 else {
                    throw failure(section: "shadow", key: key, "`cache_size` is \(megabytes): expected megabytes, 0 or more")
                }
                value.cacheSize = megabytes
            case "schema_file":
                value.schemaFile = try string(item, "shadow", key)
                value.schemaFileConfigured = true
            case "roles": value.roles = try strings(item, "shadow", key)
            case "extensions": value.extensions = try strings(item, "shadow", key)
            default: throw unknown("shadow", key, known: ["roundtrip", "url", "cache_size", "schema_file", "roles", "extensions"])
            }
        }
    }

    private func readLint(_ table: TOMLTable, into value: inout Configuration.Lint) throws(ConfigurationFile.Failure) {
        let section = "lint"
        for key in table.keys {
            let item = table[key]!
            if key == "postgres_version" {
                let version = try integer(item, section, key)
                guard (9...15).contains(version) else {
                    throw failure(section: section, key: key, "`postgres_version` is \(version): expected a major version from 9 to 15")
                }
                value.postgresVersion = version
                continue
            }
            guard let level = LintLevel(rawValue: key) else {
                throw unknown(section, key, known: ["postgres_version"] + LintLevel.allCases.map(\.rawValue))
            }
            guard let names = item.array else { throw wrongType(item, section, key, expected: "a list of rule ids") }
            for name in names {
                guard let text = name.string, let rule = LintRule(rawValue: text) else {
                    throw failure(
                        section: section, key: key,
                        "`lint.\(key)` names \(name.string.map { "the unknown rule `\($0)`" } ?? "a value that is not a rule id"): "
                            + "`mig lint --rules` lists the rules")
                }
                value.levels[rule] = level
            }
        }
    }

    // MARK: - Typed values

    private func string(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> String {
        guard let text = item.string else { throw wrongType(item, section, key, expected: "a string") }
        return text
    }

    /// A duration setting, checked here so that a typo is reported at its line, whatever the engine.
    private func duration(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> String {
        let text = try string(item, section, key)
        guard DurationSetting.duration(text) != nil else {
            throw failure(
                section: section, key: key,
                "`\(key)` must be a duration such as \"90s\", \"10min\" or \"1h\", not \"\(text)\"")
        }
        return text
    }

    private func strings(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> [String] {
        let expected = "an array of strings (glob patterns such as [\"*.go\"])"
        guard let array = item.array else { throw wrongType(item, section, key, expected: expected) }
        var texts: [String] = []
        for element in array {
            guard let text = element.string else { throw wrongType(element, section, key, expected: expected) }
            texts.append(text)
        }
        return texts
    }

    /// The migration directory: a path inside the project, never absolute or above the root.
    private func directory(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> String {
        let path = try string(item, section, key)
        var depth = 0
        for part in path.split(separator: "/") where part != "." {
            depth += part == ".." ? -1 : 1
            if depth < 0 { break }
        }
        guard !path.hasPrefix("/"), !path.hasPrefix("~"), depth >= 0, !path.isEmpty else {
            throw failure(
                section: section, key: key,
                "`dir` is \"\(path)\": it must be a folder inside the project, relative to the folder that holds .migrate/")
        }
        return path
    }

    private func bool(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> Bool {
        guard let flag = item.bool else { throw wrongType(item, section, key, expected: "true or false") }
        return flag
    }

    private func integer(_ item: any TOMLValueConvertible, _ section: String, _ key: String) throws(ConfigurationFile.Failure) -> Int {
        guard let number = item.int else { throw wrongType(item, section, key, expected: "a whole number") }
        return number
    }

    private func choice<Choice: RawRepresentable & CaseIterable>(
        _ text: String, _ type: Choice.Type, _ section: String, _ key: String, extra: [String] = []
    ) throws(ConfigurationFile.Failure) -> Choice where Choice.RawValue == String {
        if let value = Choice(rawValue: text) { return value }
        let allowed = (extra + Choice.allCases.map(\.rawValue)).map { "\"\($0)\"" }.joined(separator: ", ")
        throw failure(section: section, key: key, "`\(key)` is \"\(text)\": expected one of \(allowed)")
    }

    // MARK: - Errors with lines

    private func wrongType(_ item: any TOMLValueConvertible, _ section: String, _ key: String, expected: String) -> ConfigurationFile.Failure {
        failure(section: section, key: key, "`\(section).\(key)` must be \(expected), not a \(item.type)")
    }

    private func unknown(_ section: String, _ key: String, known: [String]) -> ConfigurationFile.Failure {
        failure(section: section, key: key, "unknown key `\(key)` in [\(section)]: known keys are \(known.joined(separator: ", "))")
    }

    private func failure(section: String?, key: String, _ message: String) -> ConfigurationFile.Failure {
        ConfigurationFile.Failure(path: path, line: line(ofKey: key, inSection: section), message: message)
    }

    /// The line on which `key` is assigned within `[section]` (or where the section opens).
    private func line(ofKey key: String, inSection section: String?) -> Int? {
        var current: String?
        for (offset, raw) in lines.enumerated() {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("[") {
                current = line.dropFirst().prefix { $0 != "]" }.trimmingWhitespace()
                if section == nil, current == key { return offset + 1 }
                continue
            }
            guard current == section else { continue }
            let name = line.prefix { $0 != "=" }.trimmingWhitespace()
            if line.contains("="), name == key || name == "\"\(key)\"" { return offset + 1 }
        }
        return nil
    }
}
