/// Everything a migration directory holds, parsed: the migrations in version order, any
/// Flyway repeatables, and the findings about files that could not be used.
public struct Catalog: Sendable {
    /// The layout in use; `nil` for an empty directory with layout `auto`.
    public let layout: Layout?
    /// Sorted by version, then name.
    public let migrations: [Migration]
    /// Flyway repeatable migrations (`R__name.sql`), sorted by name: the order they run in.
    public let repeatables: [RepeatableMigration]
    /// Flyway callback scripts, sorted by path: those of `FlywayCallback.runEvents` run around `mig up`.
    public let callbacks: [FlywayCallback]
    /// Problems found while reading: unexplained names, duplicate versions, bad files, missing downs.
    public let diagnostics: [Diagnostic]

    public init(
        layout: Layout?, migrations: [Migration], repeatables: [RepeatableMigration], callbacks: [FlywayCallback] = [],
        diagnostics: [Diagnostic]
    ) {
        self.layout = layout
        self.migrations = migrations
        self.repeatables = repeatables
        self.callbacks = callbacks
        self.diagnostics = diagnostics
    }

    /// `version` written in this folder's naming: diesel's dashed form for a 14-digit
    /// timestamp in a diesel folder, else as it is.
    public func styled(_ version: Version) -> Version {
        guard usesDieselNames, version.scheme == .timestamp, let digits = version.digits, digits.count == 14 else {
            return version
        }
        return Version(TimestampFormat.dashed(digits)) ?? version
    }

    /// Whether the folder names its versions as diesel does (`2024-01-02-030405_name/`, or
    /// diesel's own `00000000000000_diesel_initial_setup`), so new ones follow suit.
    public var usesDieselNames: Bool {
        layout == .directory
            && migrations.contains { $0.version.text.contains("-") || $0.name == "diesel_initial_setup" }
    }

    /// The highest version, if any.
    public var newestVersion: Version? { migrations.last?.version }

    /// The migration with this version, if exactly one has it. A binary search: planners ask once
    /// per step, and a linear one made a plan's cost grow with the square of the migrations.
    public func migration(_ version: Version) -> Migration? {
        var low = 0
        var high = migrations.count
        while low < high {
            let middle = (low + high) / 2
            if migrations[middle].version < version { low = middle + 1 } else { high = middle }
        }
        let matches = migrations[low...].prefix { $0.version == version }
        return matches.count == 1 ? matches.first : nil
    }
}

/// Which layout to read a directory as: one named in config, or detected from the file names.
public enum LayoutSetting: Sendable, Hashable {
    case auto
    case fixed(Layout)
}

/// A Flyway callback script (`beforeMigrate.sql`, `afterMigrate__refresh.sql`): Flyway runs it
/// on an event. mig runs those of the migrate events (`runEvents`) at the same points of `mig up`;
/// the others it lists and says that it does not run them.
public struct FlywayCallback: Sendable, Hashable, Encodable {
    /// The event, e.g. `afterMigrate`.
    public let event: String
    /// The file, relative to the migration directory.
    public let path: String
    /// The file's SQL.
    public let script: Script

    /// The events mig runs: before and after the whole `up` (when it applies something), and before
    /// and after each migration it applies, inside that migration's transaction when it has one.
    public static let runEvents: Set<String> = [
        "beforeMigrate", "afterMigrate", "beforeEachMigrate", "afterEachMigrate",
    ]

    /// Whether `mig up` runs it.
    public var runs: Bool { Self.runEvents.contains(event) }

    private enum CodingKeys: String, CodingKey {
        case event, path, runs
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event, forKey: .event)
        try container.encode(path, forKey: .path)
        try container.encode(runs, forKey: .runs)
    }
}

extension Catalog {
    /// The scripts of the callbacks for `event`, in the order Flyway runs them (by file name).
    public func callbackScripts(for event: String) -> [Script] {
        callbacks.filter { $0.event == event }.map(\.script)
    }
}

/// `[migrations] ignore`: glob patterns (`*.go`, `README.md`, `legacy/*`) of files in the
/// migration directory that are left out on purpose, so they are not findings.
///
/// A pattern with a `/` matches the path relative to the directory; one without matches the
/// file's name in any folder. `*` and `?` do not cross `/`; `[abc]` is a set, as in a shell.
public struct IgnorePatterns: Sendable, Equatable {
    public let patterns: [String]

    public init(_ patterns: [String] = []) {
        self.patterns = patterns
    }

    public func matches(_ path: String) -> Bool {
        guard !patterns.isEmpty else { return false }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return patterns.contains { pattern in
            Glob(pattern).matches(pattern.contains("/") ? path : name)
        }
    }
}

/// A shell glob over one string: `*`, `?`, `[set]`, `[!set]`, with `\` escaping the next character.
struct Glob {
    private let pattern: [Character]

    init(_ pattern: String) {
        self.pattern = Array(pattern)
    }

    func matches(_ text: String) -> Bool {
        Self.match(pattern[...], Array(text)[...])
    }

    private static func match(_ pattern: ArraySlice<Character>, _ text: ArraySlice<Character>) -> Bool {
        var pattern = pattern
        var text = text
        while let first = pattern.first {
            switch first {
            case "*":
                let rest = pattern.dropFirst()
                // Try every split that does not cross a `/`: linear in the text for each star.
                var candidate = text
                while true {
                    if match(rest, candidate) { return true }
                    guard let next = candidate.first, next != "/" else { return false }
                    candidate = candidate.dropFirst()
                }
            case "?":
                guard let character = text.first, character != "/" else { return false }
                pattern = pattern.dropFirst()
                text = text.dropFirst()
            case "[":
                guard let character = text.first, let (matched, rest) = set(pattern.dropFirst(), character) else {
                    return false
                }
                guard matched else { return false }
                pattern = rest
                text = text.dropFirst()
            default:
                var literal = first
                var rest = pattern.dropFirst()
                if first == "\\", let escaped = rest.first {
                    literal = escaped
                    rest = rest.dropFirst()
                }
                guard text.first == literal else { return false }
                pattern = rest
                text = text.dropFirst()
            }
        }
        return text.isEmpty
    }

    /// Whether `character` is in the set that starts after `[`, and the pattern after the `]`;
    /// `nil` when the set is not closed (then `[` is no set and the pattern fails to match).
    private static func set(_ pattern: ArraySlice<Character>, _ character: Character) -> (Bool, ArraySlice<Character>)?
    {
        var rest = pattern
        let negated = rest.first == "!" || rest.first == "^"
        if negated { rest = rest.dropFirst() }
        var found = false
        var first = true
        while let next = rest.first {
            if next == "]", !first { return (found != negated, rest.dropFirst()) }
            first = false
            rest = rest.dropFirst()
            if rest.first == "-", let upper = rest.dropFirst().first, upper != "]" {
                if next <= character, character <= upper { found = true }
                rest = rest.dropFirst(2)
            } else if next == character {
                found = true
            }
        }
        return nil
    }
}
