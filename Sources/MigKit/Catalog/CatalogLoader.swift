import TOMLKit

/// Reads a migration directory (on disk or in a Git tree) into a `Catalog`.
///
/// Names are classified first, the layout chosen, then each migration's files are read,
/// normalised and parsed. Nothing a file contains can crash the loader: every problem
/// becomes a `Diagnostic` naming the file (and line where there is one), and every file the
/// loader does not use is one too, unless `ignore` excludes it on purpose.
public struct CatalogLoader: Sendable {
    public let layout: LayoutSetting
    public let requireDown: Bool
    /// `[migrations] ignore`: files (glob patterns, relative to the directory) left out on purpose.
    public let ignore: IgnorePatterns
    /// Whether down files are read. `mig lint` reviews up scripts only, and a folder of pairs is
    /// read in half the time without them: each migration's `files` still names its down file,
    /// its `down` is nil, and what only a down file could show (its encoding, a conflict marker,
    /// a missing one under `require_down`) is not reported.
    public var readsDownScripts = true

    public init(layout: LayoutSetting = .auto, requireDown: Bool = false, ignore: IgnorePatterns = IgnorePatterns()) {
        self.layout = layout
        self.requireDown = requireDown
        self.ignore = ignore
    }

    /// Loads the catalog. Throws only when the directory itself cannot be listed.
    public func load(from source: some MigrationSource) throws -> Catalog {
        var diagnostics: [Diagnostic] = []
        var named: [(path: String, name: FileName)] = []
        let listed = try source.files().filter { !ignore.matches($0.path) }
        // Names are classified on every core: a folder may hold thousands.
        let names = listed.mapInParallel(true) { $0.problem == nil ? FileName(path: $0.path) : nil }
        for (file, name) in zip(listed, names) {
            let path = file.path
            if let problem = file.problem {
                diagnostics.append(
                    Diagnostic(
                        code: .unusableFile, location: SourceLocation(path: source.displayPath(of: path)),
                        message: problem, hint: Self.ignoreHint))
            } else if let name {
                named.append((path, name))
            } else {
                diagnostics.append(UnexplainedFile(path: path, displayPath: source.displayPath(of: path)).diagnostic)
            }
        }
        let chosen = chosenLayout(named.map(\.name.layout))
        if chosen == .prisma {
            // `VERSION_name/down.sql` beside `migration.sql`: the down script Prisma's documentation has
            // teams write (`prisma migrate diff … --script > down.sql`), not a diesel folder.
            named = named.map { entry in
                entry.name.layout == .directory && entry.name.part == .down
                    ? (entry.path, entry.name.relabelled(as: .prisma)) : entry
            }
        }
        if let chosen {
            for entry in named where !chosen.reads(entry.name.layout) {
                diagnostics.append(
                    Diagnostic(
                        code: .unparseableName,
                        location: SourceLocation(path: source.displayPath(of: entry.path)),
                        message:
                            "is named for the \(entry.name.layout.rawValue) layout, but this directory uses \(chosen.rawValue)",
                        hint:
                            "rename it to the \(chosen.rawValue) layout, or set [migrations] layout in .migrate/config.toml"
                    ))
            }
        }
        let files = named.filter { chosen?.reads($0.name.layout) == true }
        var reader = MigrationAssembler(
            source: source, requireDown: requireDown, readsDownScripts: readsDownScripts,
            markersOptional: chosen == .pair)
        let assembled = reader.assemble(files)
        diagnostics += reader.diagnostics
        diagnostics += Self.duplicates(in: assembled.migrations, source: source)
        diagnostics += assembled.migrations.filter(\.version.looksLikeMistypedTimestamp).map { migration in
            Diagnostic(
                code: .unparseableName, severity: .warning,
                location: SourceLocation(path: source.displayPath(of: migration.up.path)),
                message:
                    "version \(migration.version.text) has \(migration.version.digits!.count) digits: a timestamp has 14 "
                    + "(YYYYMMDDHHMMSS), so this one sorts far from where it was meant to",
                hint: "rename it to its 14-digit timestamp if it has not been applied anywhere yet")
        }
        return Catalog(
            layout: chosen, migrations: assembled.migrations, repeatables: assembled.repeatables,
            callbacks: assembled.callbacks, diagnostics: diagnostics)
    }

    private func chosenLayout(_ layouts: [Layout]) -> Layout? {
        if case .fixed(let layout) = layout { return layout }
        var counts: [Layout: Int] = [:]
        for layout in layouts { counts[layout, default: 0] += 1 }
        // sqlx mixes up-only `V_name.sql` files with `.up.sql`/`.down.sql` pairs: one folder, the pair layout.
        if Set(counts.keys) == [.pair, .sections] { return .pair }
        // The most common layout wins; ties go to the order of `Layout.allCases`.
        return Layout.allCases.filter { counts[$0] != nil }.max { counts[$0]! < counts[$1]! }
    }

    static let ignoreHint = "if leaving it out is intended, add it to [migrations] ignore in .migrate/config.toml"

    /// Migrations that share a version, as their tool compares versions: Flyway's `1`, `1.0` and
    /// `1_0_0` are one version (its `MigrationVersion` drops trailing zero parts), so `V1__a.sql` and
    /// `V1.0__b.sql` collide as they do in Flyway.
    private static func duplicates(in migrations: [Migration], source: some MigrationSource) -> [Diagnostic] {
        // Grouped by index: grouping the migrations themselves copied every one of them.
        Dictionary(grouping: migrations.indices) {
            migrations[$0].layout == .flyway
                ? migrations[$0].version.withoutTrailingZeros : migrations[$0].version.components
        }
        .values
        .filter { $0.count > 1 }
        .map { $0.map { migrations[$0] } }
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

extension Layout {
    /// Whether a folder of this layout reads files named for `other`: a pair-layout folder
    /// also holds sqlx's up-only `VERSION_name.sql` files.
    func reads(_ other: Layout) -> Bool {
        self == other || (self == .pair && other == .sections)
    }
}

/// Why a file that no layout explains was not used, as precisely as its name allows.
struct UnexplainedFile {
    let path: String
    let displayPath: String

    var diagnostic: Diagnostic {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let location = SourceLocation(path: displayPath)
        let versioned = file.first?.isASCIIDigit == true && file.contains("_")
        if let language = Self.codeMigrationLanguage(file) {
            let goose = language == "Go"
            return Diagnostic(
                code: .unusableFile, location: location,
                message:
                    "is a \(goose ? "goose Go" : language) migration: mig cannot run \(language) migrations, so the chain "
                    + "of migrations is incomplete without it",
                hint: "write it as SQL, or add \"*.\(file.split(separator: ".").last!)\" to [migrations] ignore in "
                    + ".migrate/config.toml if leaving it out is intended")
        }
        if file.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return Diagnostic(
                code: .unparseableName, location: location,
                message:
                    "the file name holds a control character (a line break or tab): no migration tool reads such a name",
                hint: "rename it")
        }
        let digits = file.prefix { $0.isASCIIDigit }
        if !digits.isEmpty, file.hasSuffix(".sql"), !path.contains("/"),
            !["_", "-"].contains(file.dropFirst(digits.count).first)
        {
            return Diagnostic(
                code: .unparseableName, location: location,
                message: "no migration layout explains this file name: dbmate would read it as version \(digits) "
                    + "(it takes any name that starts with digits), but mig reads a version only when `_`, `-` or "
                    + "`.sql` follows it, so that a typo cannot become a migration",
                hint: "rename it \(digits)_NAME.sql (dbmate reads that the same way); \(CatalogLoader.ignoreHint)")
        }
        if file.hasSuffix(".sql") || file.hasSuffix(".SQL") || versioned || path.contains("/") {
            return Diagnostic(
                code: .unparseableName, location: location,
                message: "no migration layout explains this file name",
                hint: "name it VERSION_name.sql (e.g. 20240115120000_create_users.sql) or VERSION_name.up.sql, "
                    + "or move it out of the migration directory; \(CatalogLoader.ignoreHint)")
        }
        return Diagnostic(
            code: .unusableFile, severity: .warning, location: location,
            message: "is not a migration: mig leaves it alone",
            hint: "move it out of the migration directory, or add it to [migrations] ignore in .migrate/config.toml")
    }
}

extension UnexplainedFile {
    private static let languages = ["go": "Go", "java": "Java", "kt": "Kotlin", "class": "Java", "scala": "Scala"]

    /// The language of a versioned migration written in code (goose's `00002_x.go`, Flyway's
    /// `V2__x.java`): named like a SQL migration, with a code extension.
    static func codeMigrationLanguage(_ file: String) -> String? {
        guard let dot = file.lastIndex(of: "."), let language = languages[String(file[file.index(after: dot)...])],
            FileName(path: file[..<dot] + ".sql")?.version != nil
        else { return nil }
        return language
    }
}

/// Groups a layout's files into migrations and parses their scripts.
private struct MigrationAssembler<Source: MigrationSource> {
    let source: Source
    let requireDown: Bool
    let readsDownScripts: Bool
    /// Whether a `VERSION_name.sql` file without markers is a whole up script (sqlx), not an error.
    let markersOptional: Bool
    var diagnostics: [Diagnostic] = []

    init(source: Source, requireDown: Bool, readsDownScripts: Bool, markersOptional: Bool) {
        self.source = source
        self.requireDown = requireDown
        self.readsDownScripts = readsDownScripts
        self.markersOptional = markersOptional
    }

    private struct Key: Hashable {
        let version: String
        let name: String
    }

    struct Result {
        var migrations: [Migration] = []
        var repeatables: [RepeatableMigration] = []
        var callbacks: [FlywayCallback] = []
    }

    mutating func assemble(_ files: [(path: String, name: FileName)]) -> Result {
        // Each migration's files, by their places in `files`: grouping copies of the names cost more
        // than the rest of the grouping.
        var groups: [Key: [Int]] = [:]
        var result = Result()
        for (index, file) in files.enumerated() {
            switch file.name.part {
            case .repeatable:
                if let text = read(file.path) {
                    result.repeatables.append(
                        RepeatableMigration(name: file.name.name, script: wholeFile(file.path, text)))
                }
            case .providerLock:
                continue
            case .callback(let event):
                guard let text = read(file.path) else { continue }
                let callback = FlywayCallback(event: event, path: file.path, script: wholeFile(file.path, text))
                result.callbacks.append(callback)
                guard !callback.runs else { continue }
                diagnostics.append(
                    Diagnostic(
                        code: .unusableFile, severity: .warning,
                        location: SourceLocation(path: source.displayPath(of: file.path)),
                        message: "is a Flyway callback (\(event)): mig lists it but does not run \(event) callbacks "
                            + "(only \(FlywayCallback.runEvents.sorted().joined(separator: ", ")))",
                        hint: "run its SQL in a migration if mig should apply it, or add it to [migrations] ignore"))
            default:
                groups[Key(version: file.name.version!.text, name: file.name.name), default: []].append(index)
            }
        }
        // In path order, so findings come out in the same order on every run. Each migration is read
        // and parsed on its own, so a folder on disk is read by every core.
        let blank = MigrationAssembler(
            source: source, requireDown: requireDown, readsDownScripts: readsDownScripts,
            markersOptional: markersOptional)
        let ordered = Array(groups.values).sorted(byPath: { files[$0[0]].path })
        let assembled = ordered.mapInParallel(source.readsConcurrently) { group in
            var assembler = blank
            return (migration: assembler.migration(from: group.map { files[$0] }), diagnostics: assembler.diagnostics)
        }
        diagnostics += assembled.flatMap(\.diagnostics)
        result.migrations = assembled.compactMap(\.migration).sortedByVersion()
        result.repeatables.sort { $0.name < $1.name }
        result.callbacks.sort { $0.path < $1.path }
        return result
    }

    private mutating func migration(from files: [(path: String, name: FileName)]) -> Migration? {
        let first = files[0].name
        let version = first.version!
        let paths = files.map(\.path).sorted()
        var up: Script?
        var down: Script?
        var settings = ScriptSettings()
        for file in files.sorted(by: { $0.path < $1.path }) {
            if file.name.part == .down, !readsDownScripts { continue }
            guard let text = read(file.path) else { return nil }
            // `1_a.sql` beside `1_a.up.sql`: two up scripts for one migration, and neither may win silently.
            if let other = [up, down].compactMap({ $0?.path }).first(where: { $0 != file.path }),
                file.name.part == .both || (file.name.part == .up && up != nil)
                    || (file.name.part == .down && down != nil)
            {
                report(
                    file.path, line: nil, "holds a script that \(source.displayPath(of: other)) holds too",
                    hint: "keep one of the two files")
                return nil
            }
            switch file.name.part {
            case .up: up = wholeFile(file.path, text)
            case .down: down = wholeFile(file.path, text)
            case .both:
                if markersOptional, SectionParser.style(of: text) == nil, !SectionParser.hasDownMarker(text) {
                    up = wholeFile(file.path, text)
                    continue
                }
                do throws(SectionParser.Failure) {
                    (up, down) = try SectionParser(path: file.path).parse(text)
                } catch {
                    report(file.path, line: error.line, error.message)
                    return nil
                }
            case .settings(let part):
                let format: ScriptSettings.Format = file.path.hasSuffix(".toml") ? .dieselMetadata : .flywayConf
                do throws(ScriptSettings.Failure) {
                    for key in try settings.read(text, of: part, format: format) {
                        diagnostics.append(
                            Diagnostic(
                                code: .unusableFile, severity: .warning,
                                location: SourceLocation(path: source.displayPath(of: file.path), line: key.line),
                                message:
                                    "mig does not apply the setting `\(key.name)`; it honours only `\(format.transactionKey)` here"
                            ))
                    }
                } catch {
                    report(file.path, line: error.line, error.message)
                    return nil
                }
            case .repeatable, .callback, .providerLock: continue
            }
        }
        guard let up else {
            report(
                paths[0], line: nil, "belongs to a migration without an up script", hint: "add the up script next to it"
            )
            return nil
        }
        if down == nil, requireDown, readsDownScripts {
            diagnostics.append(
                Diagnostic(
                    code: .missingDown, severity: .warning,
                    location: SourceLocation(path: source.displayPath(of: up.path)),
                    message: "\(version.text)_\(first.name) has no down script",
                    hint: "write one so the migration can be rolled back, or set require_down = false"))
        }
        return Migration(
            version: version, name: first.name, layout: first.layout,
            up: settings.applied(to: up, part: .up), down: down.map { settings.applied(to: $0, part: .down) },
            files: paths)
    }

    private func wholeFile(_ path: String, _ text: String) -> Script {
        Script(path: path, startLine: 1, sql: text)
    }

    private mutating func read(_ path: String) -> String? {
        do {
            let text = try SourceText.decode(try source.contents(of: path))
            if let line = SourceText.firstNulLine(in: text) {
                report(
                    path, line: line, "holds a NUL byte, which would cut the SQL short on PostgreSQL",
                    hint: "remove it (a file with binary content is not a migration)")
                return nil
            }
            if let line = ConflictMarkers.firstLine(in: text) {
                report(
                    path, line: line, "holds a Git conflict marker: the file is half-merged",
                    hint: "resolve the conflict (keep one side's SQL, remove the <<<<<<<, ======= and >>>>>>> lines)")
                return nil
            }
            return text
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

/// Git's conflict markers at the start of a line: a file left half-merged.
enum ConflictMarkers {
    /// The 1-based line of the first marker, if any.
    static func firstLine(in text: String) -> Int? {
        guard text.containsBytes("<<<<<<<") || text.containsBytes(">>>>>>>") || text.containsBytes("=======") else {
            return nil
        }
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.hasPrefix("<<<<<<<") || line.hasPrefix(">>>>>>>") || line == "=======" {
            return offset + 1
        }
        return nil
    }
}
