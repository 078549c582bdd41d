/// Reads a migration directory (on disk or in a Git tree) into a `Catalog`.
///
/// Names are classified first, the layout chosen, then each migration's files are read,
/// normalised and parsed. Nothing a file contains can crash the loader: every problem
/// becomes a `Diagnostic` naming the file (and line where there is one).
public struct CatalogLoader: Sendable {
    public let layout: LayoutSetting
    public let requireDown: Bool

    public init(layout: LayoutSetting = .auto, requireDown: Bool = false) {
        self.layout = layout
        self.requireDown = requireDown
    }

    /// Loads the catalog. Throws only when the directory itself cannot be listed.
    public func load(from source: some MigrationSource) throws -> Catalog {
        let paths = try source.filePaths()
        var diagnostics: [Diagnostic] = []
        var named: [(path: String, name: FileName)] = []
        for path in paths {
            if let name = FileName(path: path) {
                named.append((path, name))
            } else if path.hasSuffix(".sql") || path.hasSuffix(".SQL") {
                diagnostics.append(Self.unparseable(source.displayPath(of: path)))
            }
        }
        let chosen = chosenLayout(named.map(\.name.layout))
        if let chosen {
            for entry in named where entry.name.layout != chosen {
                diagnostics.append(
                    Diagnostic(
                        code: .unparseableName,
                        location: SourceLocation(path: source.displayPath(of: entry.path)),
                        message: "is named for the \(entry.name.layout.rawValue) layout, but this directory uses \(chosen.rawValue)",
                        hint: "rename it to the \(chosen.rawValue) layout, or set [migrations] layout in .migrate/config.toml"))
            }
        }
        let files = named.filter { $0.name.layout == chosen }
        var reader = MigrationAssembler(source: source, requireDown: requireDown)
        let (migrations, repeatables) = reader.assemble(files)
        diagnostics += reader.diagnostics
        diagnostics += Self.duplicates(in: migrations, source: source)
        return Catalog(layout: chosen, migrations: migrations, repeatables: repeatables, diagnostics: diagnostics)
    }

    private func chosenLayout(_ layouts: [Layout]) -> Layout? {
        if case .fixed(let layout) = layout { return layout }
        var counts: [Layout: Int] = [:]
        for layout in layouts { counts[layout, default: 0] += 1 }
        // The most common layout wins; ties go to the order of `Layout.allCases`.
        return Layout.allCases.filter { counts[$0] != nil }.max { counts[$0]! < counts[$1]! }
    }

    static func unparseable(_ path: String) -> Diagnostic {
        Diagnostic(
            code: .unparseableName,
            location: SourceLocation(path: path),
            message: "no migration layout explains this file name",
            hint: "name it VERSION_name.sql (e.g. 20240115120000_create_users.sql), or move it out of the migration directory")
    }

    private static func duplicates(in migrations: [Migration], source: some MigrationSource) -> [Diagnostic] {
        Dictionary(grouping: migrations, by: \.version).values
            .filter { $0.count > 1 }
            .sorted { $0[0].version < $1[0].version }
            .map { group in
                let locations = group.map { SourceLocation(path: source.displayPath(of: $0.up.path)) }
                return Diagnostic(
                    code: .duplicateVersion,
                    location: locations[0],
                    related: Array(locations.dropFirst()),
                    message: "version \(group[0].version) is used by \(group.count) migrations: "
                        + group.map(\.identifier).joined(separator: ", "),
                    hint: "give all but one of them a new version (`mig fix` renumbers a branch's migrations)")
            }
    }
}

/// Groups a layout's files into migrations and parses their scripts.
private struct MigrationAssembler<Source: MigrationSource> {
    let source: Source
    let requireDown: Bool
    var diagnostics: [Diagnostic] = []

    init(source: Source, requireDown: Bool) {
        self.source = source
        self.requireDown = requireDown
    }

    private struct Key: Hashable {
        let version: String
        let name: String
    }

    mutating func assemble(_ files: [(path: String, name: FileName)]) -> ([Migration], [RepeatableMigration]) {
        var groups: [Key: [(path: String, name: FileName)]] = [:]
        var repeatables: [RepeatableMigration] = []
        for file in files {
            if file.name.part == .repeatable {
                if let text = read(file.path) {
                    repeatables.append(RepeatableMigration(name: file.name.name, script: wholeFile(file.path, text)))
                }
                continue
            }
            groups[Key(version: file.name.version!.text, name: file.name.name), default: []].append(file)
        }
        // In file order, so that findings come out in the same order on every run.
        let migrations = groups.values.sorted { $0[0].path < $1[0].path }.compactMap { migration(from: $0) }
            .sorted { ($0.version, $0.name) < ($1.version, $1.name) }
        return (migrations, repeatables.sorted { $0.name < $1.name })
    }

    private mutating func migration(from files: [(path: String, name: FileName)]) -> Migration? {
        let first = files[0].name
        let version = first.version!
        let paths = files.map(\.path).sorted()
        var up: Script?
        var down: Script?
        for file in files {
            guard let text = read(file.path) else { return nil }
            switch file.name.part {
            case .up: up = wholeFile(file.path, text)
            case .down: down = wholeFile(file.path, text)
            case .both:
                do throws(SectionParser.Failure) {
                    (up, down) = try SectionParser(path: file.path).parse(text)
                } catch {
                    report(file.path, line: error.line, error.message)
                    return nil
                }
            case .repeatable: continue
            }
        }
        guard let up else {
            report(paths[0], line: nil, "has a down script but no up script", hint: "add the up script next to it")
            return nil
        }
        if !up.hasStatements {
            report(up.path, line: 1, "the up script is empty", hint: "write the migration's SQL, or delete the migration")
            return nil
        }
        if down == nil, requireDown {
            diagnostics.append(
                Diagnostic(
                    code: .missingDown, severity: .warning,
                    location: SourceLocation(path: source.displayPath(of: up.path)),
                    message: "\(version.text)_\(first.name) has no down script",
                    hint: "write one so the migration can be rolled back, or set require_down = false"))
        }
        return Migration(version: version, name: first.name, layout: first.layout, up: up, down: down, files: paths)
    }

    private func wholeFile(_ path: String, _ text: String) -> Script {
        Script(path: path, startLine: 1, sql: text)
    }

    private mutating func read(_ path: String) -> String? {
        do {
            return try SourceText.normalize(try source.contents(of: path))
        } catch let error as SourceText.InvalidEncoding {
            report(path, line: error.line, "is not valid UTF-8", hint: "save the file as UTF-8")
        } catch {
            report(path, line: nil, "cannot be read: \(error)")
        }
        return nil
    }

    private mutating func report(_ path: String, line: Int?, _ message: String, hint: String? = nil) {
        diagnostics.append(
            Diagnostic(
                code: .invalidMigration,
                location: SourceLocation(path: source.displayPath(of: path), line: line),
                message: message, hint: hint))
    }
}
