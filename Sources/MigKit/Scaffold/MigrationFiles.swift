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
    /// path twice for the sections layout, and for Prisma's, which has no down file.
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
        case .prisma: return ("\(stem)/migration.sql", "\(stem)/migration.sql")
        }
    }

    /// The path of an existing migration's file after giving it another version: the same
    /// file in the same layout, only the version changed — settings files too (diesel's
    /// `metadata.toml` moves with its folder, Flyway's `V1__x.sql.conf` with its script).
    public static func renamed(_ path: String, in migration: Migration, to version: Version) -> String {
        let old = MigrationFiles(layout: migration.layout, version: migration.version, name: migration.name)
        let new = MigrationFiles(layout: migration.layout, version: version, name: migration.name)
        for (oldPath, newPath) in [(old.upPath, new.upPath), (old.downPath, new.downPath)] {
            if path == oldPath { return newPath }
            if path == oldPath + ".conf" { return newPath + ".conf" }
        }
        if migration.layout == .directory, let slash = path.firstIndex(of: "/"),
            path[..<slash] == "\(migration.version.text)_\(migration.name)"
        {
            return "\(version.text)_\(migration.name)" + path[slash...]
        }
        // dbmate's names without `_` after the version (`20240101120000-x.sql`, `20240101120000.sql`).
        if migration.layout == .sections, path.hasPrefix(migration.version.text) {
            return version.text + path.dropFirst(migration.version.text.count)
        }
        return path
    }
}

/// A migration's text split at its `-- mig:up` / `-- mig:down` markers, as templates write it,
/// and the contract step an expand/contract template gives after `-- mig:contract`: SQL for a
/// later migration, which `mig new` prints and never writes.
public struct MigrationText: Sendable, Equatable {
    public let up: String
    public let down: String
    /// The later contract step, empty when the template has none.
    public let contract: String

    public init(up: String, down: String, contract: String = "") {
        self.up = up
        self.down = down
        self.contract = contract
    }

    /// Rendered template text that does not split into an up and a down section.
    public struct Failure: Error, Sendable, Equatable {
        /// 1-based line of the rendered text.
        public let line: Int
        public let message: String
    }

    /// Splits rendered template text at its `-- mig:up`, `-- mig:down` and `-- mig:contract`
    /// lines (a missing down or contract is empty). Text outside the sections would be lost, so
    /// it is an error: only blank lines may stand before `-- mig:up`, and each marker may appear
    /// once, in that order.
    public init(rendered text: String) throws(Failure) {
        var sections: [[Substring]] = [[], [], []]
        var section = -1
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            switch line.trimmingWhitespace().lowercased() {
            case "-- mig:up":
                guard section == -1 else { throw Failure(line: offset + 1, message: "a second `-- mig:up`, or one after `-- mig:down`") }
                section = 0
            case "-- mig:down":
                guard section == 0 else { throw Failure(line: offset + 1, message: "`-- mig:down` before `-- mig:up`, or a second one") }
                section = 1
            case "-- mig:contract":
                guard section == 0 || section == 1 else {
                    throw Failure(line: offset + 1, message: "`-- mig:contract` before `-- mig:up`, or a second one")
                }
                section = 2
            case "" where section == -1:
                continue
            default:
                guard section >= 0 else {
                    throw Failure(
                        line: offset + 1,
                        message: "text before `-- mig:up` would be lost: put it inside the up or the down section")
                }
                sections[section].append(line)
            }
        }
        guard section >= 0 else { throw Failure(line: 1, message: "no `-- mig:up` line: a template needs an up section") }
        self.init(up: Self.joined(sections[0]), down: Self.joined(sections[1]), contract: Self.joined(sections[2]))
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
