/// One versioned change: a version, a name, an up script and an optional down script.
public struct Migration: Sendable, Hashable, Codable {
    public let version: Version
    public let name: String
    public let layout: Layout
    public let up: Script
    public let down: Script?
    /// Every file (relative to the migration directory) that makes up this migration.
    public let files: [String]

    public init(version: Version, name: String, layout: Layout, up: Script, down: Script?, files: [String]) {
        self.version = version
        self.name = name
        self.layout = layout
        self.up = up
        self.down = down
        self.files = files
    }

    /// `version_name`, the identity shown to people.
    public var identifier: String { "\(version.text)_\(name)" }

    /// Version order, names breaking ties: the order a fresh database applies migrations in.
    static func precedes(_ first: Migration, _ second: Migration) -> Bool {
        (first.version, first.name) < (second.version, second.name)
    }
}

extension [Migration] {
    /// Whether the migrations are in version order already.
    var isInVersionOrder: Bool { indices.dropFirst().allSatisfy { !Migration.precedes(self[$0], self[$0 - 1]) } }

    /// The migrations in version order (stable); a list already in order, as folders named by
    /// version usually are, is returned without the copies a sort makes.
    func sortedByVersion() -> [Migration] { isInVersionOrder ? self : sorted(by: Migration.precedes) }
}

/// A Flyway repeatable migration (`R__name.sql`): no version, re-applied when its checksum changes.
public struct RepeatableMigration: Sendable, Hashable, Codable {
    public let name: String
    public let script: Script

    public init(name: String, script: Script) {
        self.name = name
        self.script = script
    }

    /// `R__name`, the identity shown to people (the file's name without `.sql`).
    public var identifier: String { "R__\(name)" }
}
