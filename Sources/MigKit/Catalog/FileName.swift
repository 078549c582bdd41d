/// What one file in a migration directory is, judged by its path alone.
///
/// Parsing names first, before reading any file, lets the catalog detect the layout of a
/// directory and report files that no layout explains without touching their contents.
/// Each layout follows its tool's own grammar (README, "Layouts"): golang-migrate's greedy
/// `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, goose's and dbmate's `VERSION_anything.sql`, diesel's
/// `YYYY-MM-DD-HHMMSS_name/` folders, Flyway's `V1_1__name.sql` with its callbacks and
/// `.sql.conf` files, sqlx's mix of `VERSION_name.sql` and `.up.sql`/`.down.sql` pairs, Prisma's
/// `VERSION_name/migration.sql` folders and their `migration_lock.toml`.
public struct FileName: Sendable, Hashable {
    /// Which script of a migration a file holds, or what else it is.
    public enum Part: Sendable, Hashable {
        case up
        case down
        /// Both, separated by markers (sections layout); in a pair-layout folder, sqlx's up-only file.
        case both
        /// A Flyway repeatable script.
        case repeatable
        /// Settings for the migration: diesel's `metadata.toml`, or Flyway's `V1__x.sql.conf`
        /// (for the up script) and `U1__x.sql.conf` (for the down).
        indirect case settings(of: Part)
        /// A Flyway callback script (`afterMigrate.sql`), which runs on an event rather than once.
        case callback(event: String)
        /// Prisma's `migration_lock.toml`: the folder's database provider (read by `mig init`), no script.
        case providerLock
    }

    public let layout: Layout
    /// `nil` for Flyway repeatables and callbacks, and Prisma's lock file.
    public let version: Version?
    public let name: String
    public let part: Part

    /// Classifies a path relative to the migration directory; `nil` when no layout explains it.
    public init?(path: String) {
        guard path.containsByte(UInt8(ascii: "/")) else {
            self.init(topLevelFile: path)
            return
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch components.count {
        case 1:
            self.init(topLevelFile: components[0])
        case 2:
            self.init(folder: components[0], file: components[1])
        default:
            return nil
        }
    }

    /// The same file read as part of a `layout` folder.
    func relabelled(as layout: Layout) -> FileName {
        FileName(layout: layout, version: version, name: name, part: part)
    }

    private init(layout: Layout, version: Version?, name: String, part: Part) {
        self.layout = layout
        self.version = version
        self.name = name
        self.part = part
    }

    private init?(topLevelFile file: String) {
        if let script = file.strippingSuffix(".conf"), let configured = FileName(topLevelFile: script),
            configured.layout == .flyway, configured.part == .up || configured.part == .down
        {
            self.init(
                layout: .flyway, version: configured.version, name: configured.name,
                part: .settings(of: configured.part))
            return
        }
        if file == "migration_lock.toml" {
            self.init(layout: .prisma, version: nil, name: file, part: .providerLock)
            return
        }
        guard let stem = file.strippingSuffix(".sql") else { return nil }
        if let flyway = Self.flyway(stem) ?? Self.flywayCallback(stem) {
            self = flyway
            return
        }
        guard let (version, rest) = Self.versionAndRest(file) else {
            guard let dbmate = Self.dbmate(stem) else { return nil }
            self = dbmate
            return
        }
        if let (name, part) = Self.golangMigrateDirection(rest) {
            self.init(layout: .pair, version: version, name: name, part: part)
        } else if let name = rest.strippingSuffix(".sql"), Self.isName(name) {
            self.init(layout: .sections, version: version, name: name, part: .both)
        } else {
            return nil
        }
    }

    private init?(folder: String, file: String) {
        if folder == "up" || folder == "down", let stem = file.strippingSuffix(".sql"),
            let (version, name) = Self.versionAndRest(stem), Self.isName(name)
        {
            self.init(layout: .split, version: version, name: name, part: folder == "up" ? .up : .down)
        } else if let part = Self.directoryPart(file), let (version, name) = Self.dieselFolder(folder) {
            self.init(layout: .directory, version: version, name: name, part: part)
        } else if file == "migration.sql", let (version, name) = Self.versionAndRest(folder), Self.isName(name) {
            // Prisma reads every folder's `migration.sql` as the migration named after the folder
            // (`20240115120000_init`), in name order, up only: its version is the timestamp before the first `_`.
            self.init(layout: .prisma, version: version, name: name, part: .up)
        } else {
            return nil
        }
    }

    private static func directoryPart(_ file: String) -> Part? {
        switch file {
        case "up.sql": .up
        case "down.sql": .down
        case "metadata.toml": .settings(of: .both)
        default: nil
        }
    }

    /// `20240102030405_name`, or diesel's `2024-01-02-030405_name` (its version is the prefix
    /// before the first `_` with the dashes removed).
    private static func dieselFolder(_ folder: String) -> (Version, String)? {
        guard let separator = folder.firstIndex(of: "_") else { return nil }
        let prefix = String(folder[..<separator])
        let name = String(folder[folder.index(after: separator)...])
        guard isName(name), prefix.first?.isASCIIDigit == true,
            let version = Version(dashedTimestamp: prefix) ?? Version(prefix)
        else { return nil }
        return (version, name)
    }

    /// golang-migrate's `(.*)\.(down|up)\.(.*)$` on what follows `VERSION_`: the name is greedy,
    /// so the last `.up.` or `.down.` decides (`x.up..sql` and `x..up.sql` are both read).
    private static func golangMigrateDirection(_ rest: String) -> (String, Part)? {
        for (marker, part) in [(".up.", Part.up), (".down.", Part.down)] {
            guard let range = rest.byteRange(of: marker, backwards: true) else { continue }
            let name = String(rest[..<range.lowerBound])
            let extensionText = rest[range.upperBound...]
            guard extensionText == "sql" || extensionText.hasSuffix(".sql"), isName(name) else { continue }
            // Both markers present (`1_a.up.b.down.sql`): the later one is the direction, as the greedy regex decides.
            if let other = rest.byteRange(of: part == .up ? ".down." : ".up.", backwards: true),
                other.lowerBound > range.lowerBound
            {
                continue
            }
            return (name, part)
        }
        return nil
    }

    /// `V1_2__name`, `U1_2__name` or `R__name`.
    private static func flyway(_ stem: String) -> FileName? {
        guard let byte = stem.utf8.first,
            byte == UInt8(ascii: "V") || byte == UInt8(ascii: "U") || byte == UInt8(ascii: "R"),
            let prefix = stem.first, "VUR".contains(prefix),
            let separator = stem.byteRange(of: "__")
        else { return nil }
        let versionText = String(stem[stem.index(after: stem.startIndex)..<separator.lowerBound])
        let name = String(stem[separator.upperBound...])
        guard isName(name) else { return nil }
        if prefix == "R" {
            return versionText.isEmpty ? FileName(layout: .flyway, version: nil, name: name, part: .repeatable) : nil
        }
        guard !versionText.contains("-"), let version = Version(versionText) else { return nil }
        return FileName(layout: .flyway, version: version, name: name, part: prefix == "V" ? .up : .down)
    }

    /// `afterMigrate` or `afterMigrate__description`: a script Flyway runs on that event.
    private static func flywayCallback(_ stem: String) -> FileName? {
        // Every event starts with `before` or `after`: other names (versions) stop here.
        guard stem.hasPrefix("before") || stem.hasPrefix("after") else { return nil }
        let event = stem.byteRange(of: "__").map { String(stem[..<$0.lowerBound]) } ?? stem
        guard FlywayCallbacks.events.contains(event) else { return nil }
        return FileName(layout: .flyway, version: nil, name: stem, part: .callback(event: event))
    }

    /// dbmate reads every `^(\d+).*\.sql$` as a migration whose version is the leading digits
    /// (`migrationFileRegexp` and `FindMigrations` in pkg/dbmate/db.go), so it also reads names with
    /// no `_` after the version: `20240101120000-add_users.sql` (name `add_users`) and
    /// `20240101120000.sql` (no name). Read here when the digits end the name or a `-` and a non-digit
    /// follow them, so a date-named file (`2024-01-15-seed.sql`) is not read as version 2024; a
    /// golang-migrate-looking `1-x.up.sql` stays unexplained, as golang-migrate would skip it.
    private static func dbmate(_ stem: String) -> FileName? {
        let digits = String(stem.prefix { $0.isASCIIDigit })
        guard !digits.isEmpty, let version = Version(digits) else { return nil }
        let rest = stem.dropFirst(digits.count)
        guard rest.isEmpty || (rest.first == "-" && rest.dropFirst().first?.isASCIIDigit == false) else { return nil }
        let name = String(rest.dropFirst())
        guard rest.isEmpty || isName(name), golangMigrateDirection(name + ".sql") == nil else { return nil }
        return FileName(layout: .sections, version: version, name: name, part: .both)
    }

    /// Splits `0003_create_users.sql` at the first `_` after the leading version.
    private static func versionAndRest(_ stem: String) -> (Version, String)? {
        guard stem.first?.isASCIIDigit == true, let separator = firstUnderscore(in: stem),
            let version = Version(String(stem[..<separator]))
        else { return nil }
        let rest = String(stem[stem.index(after: separator)...])
        return rest.isEmpty ? nil : (version, rest)
    }

    /// The first `_` character: found by its byte, unless that byte carries a combining mark
    /// (then it is not the character `_`, and the characters are searched).
    private static func firstUnderscore(in text: String) -> String.Index? {
        guard let byte = text.utf8.firstIndex(of: UInt8(ascii: "_")) else { return nil }
        return text[byte] == "_" ? byte : text.firstIndex(of: "_")
    }

    /// A migration name: anything but control characters (tools allow dots, dashes and spaces).
    static func isName(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        // Printable ASCII, the common case, needs no Unicode property lookup.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return true }
        return !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

/// The events Flyway runs callback scripts on (`org.flywaydb.core.api.callback.Event`).
enum FlywayCallbacks {
    static let events: Set<String> = [
        "beforeClean", "afterClean", "afterCleanError",
        "beforeMigrate", "beforeRepeatables", "beforeEachMigrate", "beforeEachMigrateStatement",
        "afterEachMigrateStatement", "afterEachMigrateStatementError", "afterEachMigrate", "afterEachMigrateError",
        "afterVersioned", "afterMigrateApplied", "afterMigrate", "afterMigrateError",
        "beforeUndo", "beforeEachUndo", "beforeEachUndoStatement", "afterEachUndoStatement",
        "afterEachUndoStatementError", "afterEachUndo", "afterEachUndoError", "afterUndo", "afterUndoError",
        "beforeValidate", "afterValidate", "afterValidateError",
        "beforeBaseline", "afterBaseline", "afterBaselineError",
        "beforeRepair", "afterRepair", "afterRepairError",
        "beforeInfo", "afterInfo", "afterInfoError",
        "beforeConnect", "afterConnect", "beforeCreateSchema",
    ]
}

extension String {
    func strippingSuffix(_ suffix: String) -> String? {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : nil
    }
}
