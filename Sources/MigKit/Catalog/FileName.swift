/// What one file in a migration directory is, judged by its path alone.
///
/// Parsing names first, before reading any file, lets the catalog detect the layout of a
/// directory and report files that no layout explains without touching their contents.
public struct FileName: Sendable, Hashable {
    /// Which script of a migration a file holds.
    public enum Part: Sendable, Hashable {
        case up
        case down
        /// Both, separated by markers (sections layout).
        case both
        /// A Flyway repeatable script.
        case repeatable
    }

    public let layout: Layout
    /// `nil` only for Flyway repeatables.
    public let version: Version?
    public let name: String
    public let part: Part

    /// Classifies a path relative to the migration directory; `nil` when no layout explains it.
    public init?(path: String) {
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

    private init(layout: Layout, version: Version?, name: String, part: Part) {
        self.layout = layout
        self.version = version
        self.name = name
        self.part = part
    }

    private init?(topLevelFile file: String) {
        guard let stem = file.strippingSuffix(".sql") else { return nil }
        if let flyway = Self.flyway(stem) {
            self = flyway
            return
        }
        guard let (version, name) = Self.versionAndName(stem) else { return nil }
        if let base = name.strippingSuffix(".up"), Self.isName(base) {
            self.init(layout: .pair, version: version, name: base, part: .up)
        } else if let base = name.strippingSuffix(".down"), Self.isName(base) {
            self.init(layout: .pair, version: version, name: base, part: .down)
        } else if Self.isName(name) {
            self.init(layout: .sections, version: version, name: name, part: .both)
        } else {
            return nil
        }
    }

    private init?(folder: String, file: String) {
        if folder == "up" || folder == "down", let stem = file.strippingSuffix(".sql"),
            let (version, name) = Self.versionAndName(stem), Self.isName(name)
        {
            self.init(layout: .split, version: version, name: name, part: folder == "up" ? .up : .down)
        } else if file == "up.sql" || file == "down.sql", let (version, name) = Self.versionAndName(folder),
            Self.isName(name)
        {
            self.init(layout: .directory, version: version, name: name, part: file == "up.sql" ? .up : .down)
        } else {
            return nil
        }
    }

    /// `V1_2__name`, `U1_2__name` or `R__name`.
    private static func flyway(_ stem: String) -> FileName? {
        guard let prefix = stem.first, "VUR".contains(prefix),
            let separator = stem.range(of: "__")
        else { return nil }
        let versionText = String(stem[stem.index(after: stem.startIndex)..<separator.lowerBound])
        let name = String(stem[separator.upperBound...])
        guard !name.isEmpty else { return nil }
        if prefix == "R" {
            return versionText.isEmpty ? FileName(layout: .flyway, version: nil, name: name, part: .repeatable) : nil
        }
        guard let version = Version(versionText) else { return nil }
        return FileName(layout: .flyway, version: version, name: name, part: prefix == "V" ? .up : .down)
    }

    /// Splits `0003_create_users` at the first `_` after the leading version.
    private static func versionAndName(_ stem: String) -> (Version, String)? {
        guard let separator = stem.firstIndex(of: "_"),
            let version = Version(String(stem[..<separator])), version.text.first?.isASCIIDigit == true
        else { return nil }
        let name = String(stem[stem.index(after: separator)...])
        return name.isEmpty ? nil : (version, name)
    }

    /// A migration name: letters, digits, `_` and `-` (no dots, spaces or separators).
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }
}

extension String {
    func strippingSuffix(_ suffix: String) -> String? {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : nil
    }
}
