/// The file names one migration gets in each layout, and how its up and down text are laid out.
public struct MigrationFiles: Sendable, Equatable {
    public let layout: Layout
    public let version: Version
    public let name: String

    public init(layout: Layout, version: Version, name: String) {
        self.layout = layout
        self.version = version
        self.name = name
    }

    /// The paths (relative to the migration directory) of the up and the down file; the same
    /// path twice for the sections layout.
    public var upPath: String { paths.up }
    public var downPath: String { paths.down }

    private var paths: (up: String, down: String) {
        let stem = "\(version.text)_\(name)"
        switch layout {
        case .pair: return ("\(stem).up.sql", "\(stem).down.sql")
        case .sections: return ("\(stem).sql", "\(stem).sql")
        case .directory: return ("\(stem)/up.sql", "\(stem)/down.sql")
        case .split: return ("up/\(stem).sql", "down/\(stem).sql")
        case .flyway: return ("V\(version.text)__\(name).sql", "U\(version.text)__\(name).sql")
        }
    }

    /// The path of an existing migration's file after giving it another version: the same
    /// file in the same layout, only the version changed.
    public static func renamed(_ path: String, in migration: Migration, to version: Version) -> String {
        let old = MigrationFiles(layout: migration.layout, version: migration.version, name: migration.name)
        let new = MigrationFiles(layout: migration.layout, version: version, name: migration.name)
        if path == old.upPath { return new.upPath }
        if path == old.downPath { return new.downPath }
        return path
    }
}

/// A migration's text split at its `-- mig:up` / `-- mig:down` markers, as templates write it.
public struct MigrationText: Sendable, Equatable {
    public let up: String
    public let down: String

    public init(up: String, down: String) {
        self.up = up
        self.down = down
    }

    /// Splits rendered template text; text before `-- mig:up` is dropped, a missing down is empty.
    public init(rendered text: String) {
        var up: [Substring] = []
        var down: [Substring] = []
        var section = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            switch line.trimmingWhitespace().lowercased() {
            case "-- mig:up": section = 1
            case "-- mig:down": section = 2
            default:
                if section == 1 { up.append(line) } else if section == 2 { down.append(line) }
            }
        }
        self.init(up: Self.joined(up), down: Self.joined(down))
    }

    private static func joined(_ lines: [Substring]) -> String {
        var text = lines.joined(separator: "\n")
        while text.hasSuffix("\n\n") { text.removeLast() }
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    /// One file holding both scripts under the given tool's markers.
    func sectionsFile(style: SectionParser.MarkerStyle) -> String {
        "\(style.upMarker)\n\(up)\n\(style.downMarker)\n\(down)"
    }
}
