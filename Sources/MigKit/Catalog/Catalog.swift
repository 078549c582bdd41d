/// Everything a migration directory holds, parsed: the migrations in version order, any
/// Flyway repeatables, and the findings about files that could not be used.
public struct Catalog: Sendable {
    /// The layout in use; `nil` for an empty directory with layout `auto`.
    public let layout: Layout?
    /// Sorted by version, then name.
    public let migrations: [Migration]
    public let repeatables: [RepeatableMigration]
    /// Problems found while reading: unexplained names, duplicate versions, bad files, missing downs.
    public let diagnostics: [Diagnostic]

    public init(layout: Layout?, migrations: [Migration], repeatables: [RepeatableMigration], diagnostics: [Diagnostic]) {
        self.layout = layout
        self.migrations = migrations
        self.repeatables = repeatables
        self.diagnostics = diagnostics
    }

    /// The highest version, if any.
    public var newestVersion: Version? { migrations.last?.version }

    /// The migration with this version, if exactly one has it.
    public func migration(_ version: Version) -> Migration? {
        let matches = migrations.filter { $0.version == version }
        return matches.count == 1 ? matches[0] : nil
    }
}

/// Which layout to read a directory as: one named in config, or detected from the file names.
public enum LayoutSetting: Sendable, Hashable {
    case auto
    case fixed(Layout)
}
