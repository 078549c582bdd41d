import Foundation

/// The values that placeholders in migration files stand for, and their substitution into a catalog
/// before it runs, in the two syntaxes whose files opt in:
///
/// - Flyway's `${name}` in every file of the Flyway layout (versioned, undo, repeatable and the
///   callbacks mig runs): from
///   `[placeholders]` in the config, overridden by `FLYWAY_PLACEHOLDERS_NAME` in the environment (as
///   Flyway reads them; names compare without case, as Flyway's environment keys do), and Flyway's
///   built-ins `${flyway:…}` given by the caller, with `${flyway:filename}` per file.
/// - goose's `${VAR}` (and `${VAR:-default}`) between `-- +goose ENVSUB ON` and `-- +goose ENVSUB
///   OFF`, from the environment.
///
/// A placeholder with no value is an error naming its file and line, raised before anything runs:
/// never left in the SQL as written. Checksums stay those of the files' text (Flyway computes its
/// checksum on the file before replacing placeholders, too), so a changed value is not an edit.
public struct Placeholders: Sendable {
    /// Flyway's values by lower-cased name.
    let flyway: [String: String]
    /// The environment, for goose's ENVSUB.
    let environment: [String: String]

    /// `configured` is `[placeholders]`; `builtIns` holds `flyway:…` values the caller knows
    /// (`flyway:table`, `flyway:user`, …); `${flyway:timestamp}` is now, in UTC.
    public init(
        configured: [String: String], environment: [String: String], builtIns: [String: String] = [:],
        now: Date = Date()
    ) {
        var values: [String: String] = ["flyway:timestamp": Self.timestamp(now)]
        for (name, value) in builtIns { values[name.lowercased()] = value }
        for (name, value) in configured { values[name.lowercased()] = value }
        let prefix = "FLYWAY_PLACEHOLDERS_"
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            values[String(name.dropFirst(prefix.count)).lowercased()] = value
        }
        self.flyway = values
        self.environment = environment
    }

    /// Flyway's `${flyway:timestamp}` format, `yyyy-MM-dd HH:mm:ss`.
    private static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// `catalog` with every placeholder of the files that opt in replaced; every undefined one is
    /// reported at once, with its file and line.
    public func substitute(in catalog: Catalog) throws(PlaceholderError) -> Catalog {
        // No file holds `${`: nothing to replace, and no copy of thousands of migrations.
        func holdsPlaceholder(_ script: Script) -> Bool { script.sql.containsBytes("${") }
        guard
            catalog.migrations.contains(where: { holdsPlaceholder($0.up) || $0.down.map(holdsPlaceholder) == true })
                || catalog.repeatables.contains(where: { holdsPlaceholder($0.script) })
                || catalog.callbacks.contains(where: { holdsPlaceholder($0.script) })
        else { return catalog }
        var undefined: [PlaceholderError.Undefined] = []
        func substituted(_ script: Script, flywayLayout: Bool) -> Script {
            let result = substitute(in: script, flywayLayout: flywayLayout)
            undefined += result.undefined
            return result.script
        }
        let migrations = catalog.migrations.map { migration in
            let flywayLayout = migration.layout == .flyway
            return Migration(
                version: migration.version, name: migration.name, layout: migration.layout,
                up: substituted(migration.up, flywayLayout: flywayLayout),
                down: migration.down.map { substituted($0, flywayLayout: flywayLayout) }, files: migration.files)
        }
        let repeatables = catalog.repeatables.map {
            RepeatableMigration(name: $0.name, script: substituted($0.script, flywayLayout: true))
        }
        let callbacks = catalog.callbacks.map { callback in
            guard callback.runs else { return callback }
            return FlywayCallback(
                event: callback.event, path: callback.path, script: substituted(callback.script, flywayLayout: true))
        }
        guard undefined.isEmpty else { throw PlaceholderError(undefined: undefined) }
        return Catalog(
            layout: catalog.layout, migrations: migrations, repeatables: repeatables, callbacks: callbacks,
            diagnostics: catalog.diagnostics)
    }

    /// One script with its placeholders replaced, and the ones that have no value.
    func substitute(in script: Script, flywayLayout: Bool) -> (script: Script, undefined: [PlaceholderError.Undefined])
    {
        guard script.sql.containsBytes("${") else { return (script, []) }
        let fileName = String(script.path.split(separator: "/").last ?? Substring(script.path))
        var undefined: [PlaceholderError.Undefined] = []
        var envsub = false
        var changed = false
        var lines: [String] = []
        for (index, line) in script.sql.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let marker = line.trimmingWhitespace()
            if marker.hasPrefix("-- +goose ENVSUB ON") {
                envsub = true
            } else if marker.hasPrefix("-- +goose ENVSUB OFF") {
                envsub = false
            }
            guard flywayLayout || envsub, line.containsBytes("${") else {
                lines.append(String(line))
                continue
            }
            let fileLine = script.fileLine(forScriptLine: index + 1)
            let replaced = Self.replace(in: String(line)) { name in
                let value: String?
                if flywayLayout {
                    value = name.lowercased() == "flyway:filename" ? fileName : flyway[name.lowercased()]
                } else {
                    let parts = name.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
                    value = environment[String(parts[0])] ?? (parts.count == 2 ? String(parts[1]) : nil)
                }
                if value == nil {
                    undefined.append(.init(path: script.path, line: fileLine, name: name, flyway: flywayLayout))
                }
                return value
            }
            changed = true
            lines.append(replaced)
        }
        guard changed else { return (script, undefined) }
        return (script.replacingSQL(lines.joined(separator: "\n")), undefined)
    }

    /// `line` with each `${name}` replaced by `value(name)`; one without a value stays as written
    /// (the caller reports it, so it never runs).
    private static func replace(in line: String, value: (String) -> String?) -> String {
        var result = ""
        var rest = Substring(line)
        while let start = rest.byteRange(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            result += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            result += value(name) ?? "${\(name)}"
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

extension Placeholders {
    /// The values for `project`'s files: its `[placeholders]`, the environment, and the Flyway
    /// built-ins that follow from its configuration (`flyway:table`, `flyway:defaultSchema`…).
    public init(project: Project, environment: [String: String]) {
        let configuration = project.configuration
        var builtIns = ["flyway:table": configuration.database.historyTable]
        if let schema = configuration.database.historySchema {
            builtIns["flyway:defaultSchema"] = schema
        } else if configuration.migrations.dialect == .sqlite {
            builtIns["flyway:defaultSchema"] = "main"
            builtIns["flyway:database"] = "main"
        }
        self.init(configured: configuration.placeholders, environment: environment, builtIns: builtIns)
    }
}

/// Placeholders that have no value, each with its file and line: nothing ran.
public struct PlaceholderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One `${name}` without a value.
    public struct Undefined: Sendable, Equatable {
        /// The file, relative to the migration directory.
        public let path: String
        public let line: Int
        public let name: String
        /// Flyway's syntax (else goose's ENVSUB).
        public let flyway: Bool
    }

    public let undefined: [Undefined]

    /// With the migration directory's prefix, so the paths are the project's.
    public func description(under directoryPrefix: String) -> String {
        undefined.map { item in
            let path = RunContext.displayPath(of: item.path, under: directoryPrefix)
            let remedy =
                item.name.lowercased().hasPrefix("flyway:")
                ? "mig does not know this built-in here; set it in [placeholders] in .migrate/config.toml"
                : item.flyway
                    ? "set it in [placeholders] in .migrate/config.toml or as FLYWAY_PLACEHOLDERS_\(item.name.uppercased()) in the environment"
                    : "set the environment variable \(item.name) (or write ${\(item.name):-default})"
            return "\(path):\(item.line): placeholder ${\(item.name)} has no value: \(remedy); nothing was run"
        }.joined(separator: "\n")
    }

    public var description: String { description(under: "") }

    /// One `shadow-failed` finding per undefined placeholder, for reports that go on without a replay.
    public func diagnostics(under directoryPrefix: String) -> [Diagnostic] {
        undefined.map { item in
            Diagnostic(
                code: .shadowFailed,
                location: SourceLocation(path: RunContext.displayPath(of: item.path, under: directoryPrefix), line: item.line),
                message: "placeholder ${\(item.name)} has no value, so the shadow cannot replay this file",
                hint: item.flyway
                    ? "set it in [placeholders] in .migrate/config.toml or as FLYWAY_PLACEHOLDERS_\(item.name.uppercased()) in the environment"
                    : "set the environment variable \(item.name) (or write ${\(item.name):-default})")
        }
    }
}
