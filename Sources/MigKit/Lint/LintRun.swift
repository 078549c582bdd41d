import Foundation

/// Which migrations `mig lint` reviews.
public enum LintScope: Sendable {
    /// The up scripts the branch adds or changes against the base (all of them outside a repository).
    case branch(base: String?)
    /// Every up script of the migration directory.
    case all
    /// These files (absolute paths): migrations of the catalog, or plain SQL scripts.
    case paths([URL])
}

/// What `mig lint` found, for the renderers.
public struct LintReport: Sendable, Codable, DiagnosticReport {
    /// The base the branch was compared with; nil when files were not chosen from Git.
    public let base: String?
    public let pathPrefix: String
    /// The files linted, relative to the project root.
    public let files: [String]
    public let findings: [Finding]
    /// With `--measure`: what each linted statement locked and rewrote in the shadow.
    public let measurements: [MeasuredStatement]?
    /// With `--measure`: the rows generated in each existing table first, or why not.
    public let generatedRows: [GeneratedRows]?
    /// With `--measure`: why nothing was measured, when nothing was.
    public let measurementSkipped: String?

    public var hasErrors: Bool { findings.map(\.diagnostic).hasErrors }
    public var tool: String { "mig lint" }
    public var subject: String { base.map { "mig lint against \($0)" } ?? "mig lint" }
    public var ranRules: [String] { LintRule.allCases.map(\.rawValue) }
}

/// Chooses the migrations of a `LintScope` and lints them.
public enum LintRun {
    /// Lints the scope's migrations; given a shadow, also measures the branch's migrations in it
    /// (PostgreSQL, branch scope only).
    public static func run(
        project: Project, scope: LintScope, measureIn shadow: ShadowReplay? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> LintReport {
        let linter = MigrationLinter(configuration: project.configuration)
        // The lint reads up scripts only: a catalog on disk is loaded without its down files.
        let directory = project.configuration.migrations.directory
        let context: BranchContext? =
            switch scope {
            case .all: nil
            case .branch(let base): try branchContext(project, base: base)
            // Named files lint without a base too; with one, the branch's earlier migrations give context.
            case .paths: (try? branchContext(project, base: nil)) ?? nil
            }
        let pathPrefix = context?.projectPathInRepository ?? ""
        var targets: [LintTarget]
        var problems: [Diagnostic] = []
        switch scope {
        case .branch:
            if let context {
                let catalogs = try BranchCatalogs(context)
                problems = catalogs.head.diagnostics.filter { $0.code == .invalidMigration }
                targets = LintTargets.branch(catalogs, directory: directory)
            } else {
                let catalog = try project.loadCatalog(upScriptsOnly: true)
                problems = catalog.diagnostics.filter { $0.code == .invalidMigration }
                targets = LintTargets.all(catalog, directory: directory)
            }
        case .all:
            let catalog = try project.loadCatalog(upScriptsOnly: true)
            problems = catalog.diagnostics.filter { $0.code == .invalidMigration }
            targets = LintTargets.all(catalog, directory: directory)
        case .paths(let urls):
            targets = try LintTargets.paths(urls, project: project, context: context)
        }
        let findings = (problems + linter.lint(targets)).map { Finding($0) }
        var measurement: LockMeasurement?
        if let shadow {
            guard project.configuration.migrations.dialect == .postgres, case .branch = scope, let context else {
                throw LintSetupError.measureNeedsPostgresBranch
            }
            measurement = try measure(
                targets, head: try context.workingCatalog(),
                placeholders: Placeholders(project: project, environment: environment), in: shadow)
        }
        return LintReport(
            base: context?.baseName, pathPrefix: pathPrefix, files: targets.filter(\.isLinted).map(\.path),
            findings: findings, measurements: measurement.flatMap { $0.skipped == nil ? $0.statements : nil },
            generatedRows: measurement.flatMap { $0.skipped == nil ? $0.generatedRows : nil },
            measurementSkipped: measurement?.skipped)
    }

    /// Replays head's migrations before the branch's in a PostgreSQL shadow, then measures the
    /// branch's: `mig lint --measure` and `mig check --shadow`. The SQL is what `mig up` runs
    /// (placeholders replaced); a migration or placeholder that fails there makes a measurement
    /// skipped with the reason, not a stop, so the findings are still reported. Every measurement
    /// is kept in the shadow cache; `reusingKept` (`check --shadow`, run on every push) returns the
    /// kept one for the same scripts on the same schema instead of measuring again.
    public static func measure(
        _ targets: [LintTarget], head: Catalog, placeholders: Placeholders, in shadow: ShadowReplay,
        reusingKept reuse: Bool = false
    ) throws -> LockMeasurement {
        do {
            let head = try placeholders.substitute(in: head)
            let substituted = Dictionary(head.migrations.map { ($0.up.path, $0.up) }, uniquingKeysWith: { first, _ in first })
            let branchTargets = targets.filter { $0.isLinted || $0.isNewOnBranch }.map {
                LintTarget(
                    script: substituted[$0.script.path] ?? $0.script, path: $0.path, isLinted: $0.isLinted,
                    isNewOnBranch: $0.isNewOnBranch)
            }
            let onBranch = Set(branchTargets.map(\.script.path))
            var before = head.migrations.filter { !onBranch.contains($0.up.path) }
            // The migrations before the branch's, as a snapshot a replay kept (`check --shadow` keeps
            // one at the base's end): only the ones after it run again.
            // The same scripts measured on the same schema before: that measurement, not another.
            let key = measurementKey(before: before, targets: branchTargets)
            if reuse, let kept = shadow.cache?.measurement(key) { return kept }
            var makeDatabase = shadow.makeDatabase
            if let cache = shadow.cache {
                let keys = ShadowSnapshotCache.Keys(before, dialect: .postgres)
                let restored = cache.restoreLongestPrefix(keys, limit: before.count, makeDatabase: shadow.makeDatabase)
                if let database = restored.database {
                    makeDatabase = { database }
                    before.removeFirst(restored.count)
                }
            }
            let measurement = try PostgresLockMeter(makeDatabase: makeDatabase).measure(
                before: before.map(\.up), targets: branchTargets)
            shadow.cache?.keep(measurement, key: key)
            return measurement
        } catch let error as PlaceholderError {
            return .skipped(error.description)
        } catch let error as DatabaseError {
            return .skipped(error.description)
        }
    }

    /// What a measurement depends on: the migrations before the branch's (the chained key of
    /// their scripts, as the snapshot cache keys them) and each branch script as it runs.
    private static func measurementKey(before: [Migration], targets: [LintTarget]) -> String {
        let prefix = ShadowSnapshotCache.Keys(before, dialect: .postgres).snapshot.last ?? "none"
        let branch = targets.map { "\($0.path)\n\($0.script.runChecksum)\n\($0.isLinted)\n\($0.isNewOnBranch)" }
        return Script.checksum(of: ([prefix, "rows \(PostgresLockMeter.defaultRowsPerTable)"] + branch).joined(separator: "\n"))
    }

    /// The branch comparison, or nil outside a Git repository.
    private static func branchContext(_ project: Project, base: String?) throws -> BranchContext? {
        do {
            return try BranchContext(project: project, base: base)
        } catch BranchSetupError.notARepository {
            return nil
        }
    }
}

/// Why `mig lint` cannot do what it was asked.
public enum LintSetupError: Error, Sendable, CustomStringConvertible {
    case measureNeedsPostgresBranch

    public var description: String {
        switch self {
        case .measureNeedsPostgresBranch:
            "--measure replays a branch's migrations in a PostgreSQL shadow: use it in a PostgreSQL project's "
                + "Git repository, without --all or paths"
        }
    }
}

/// The lint targets of each scope, in version order.
public enum LintTargets {
    /// The up scripts head adds or changes against the merge base, linted; the added ones carry
    /// what they create. The unchanged migrations before them come along unlinted, for what
    /// they leave behind (a NOT VALID check a branch migration validates, a SQLite table's columns).
    public static func branch(_ catalogs: BranchCatalogs, directory: String) -> [LintTarget] {
        let added = Set(catalogs.added.map(\.identifier))
        let before = Dictionary(
            catalogs.mergeBase.migrations.map { ($0.identifier, $0.up.checksum) },
            uniquingKeysWith: { first, _ in first })
        let migrations = catalogs.head.migrations
        let isNew = migrations.map { added.contains($0.identifier) }
        let isLinted = migrations.indices.map { index in
            isNew[index] || before[migrations[index].identifier].map { $0 != migrations[index].up.checksum } == true
        }
        // The unchanged migrations after the last linted one tell the lint nothing.
        let end = (isLinted.lastIndex(of: true) ?? -1) + 1
        return (0..<end).map { index in
            LintTarget(
                script: migrations[index].up, path: path(migrations[index].up, directory), isLinted: isLinted[index],
                isNewOnBranch: isNew[index])
        }
    }

    /// Every up script; nothing carries over from one migration to the next (each table exists
    /// before the migrations after the one that creates it).
    public static func all(_ catalog: Catalog, directory: String) -> [LintTarget] {
        catalog.migrations.map { LintTarget(script: $0.up, path: path($0.up, directory), isNewOnBranch: false) }
    }

    /// The named files: a catalog migration's up script (with the migrations before it for
    /// context), else the file as one plain script (a down file, say).
    static func paths(_ urls: [URL], project: Project, context: BranchContext?) throws -> [LintTarget] {
        let directory = project.configuration.migrations.directory
        let catalog = try context?.workingCatalog() ?? project.loadCatalog(upScriptsOnly: true)
        let added = try context.map { Set(try BranchCatalogs($0).added.map(\.identifier)) } ?? []
        let wanted = Set(urls.map { $0.standardizedFileURL.path })
        let migrationDirectory = project.migrationDirectory.standardizedFileURL
        var found: Set<String> = []
        var targets: [LintTarget] = []
        for migration in catalog.migrations {
            let upFile = migrationDirectory.appending(path: migration.up.path).standardizedFileURL.path
            let isLinted = wanted.contains(upFile)
            if isLinted { found.insert(upFile) }
            targets.append(
                LintTarget(
                    script: migration.up, path: path(migration.up, directory), isLinted: isLinted,
                    isNewOnBranch: added.contains(migration.identifier)))
        }
        while let last = targets.last, !last.isLinted { targets.removeLast() }
        let root = project.root.standardizedFileURL.path
        for url in urls where !found.contains(url.standardizedFileURL.path) {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CatalogError.unreadable(path: url.path, reason: "no such file, or it cannot be read")
            }
            let sql = try SourceText.normalize(data)
            let full = url.standardizedFileURL.path
            let shown = full.hasPrefix(root + "/") ? String(full.dropFirst(root.count + 1)) : full
            targets.append(
                LintTarget(script: Script(path: shown, startLine: 1, sql: sql), path: shown, isNewOnBranch: false))
        }
        return targets
    }

    private static func path(_ script: Script, _ directory: String) -> String {
        directory.isEmpty || directory == "." ? script.path : directory + "/" + script.path
    }
}
