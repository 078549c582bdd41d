import Foundation

/// A finding of `mig check` with the commits behind it, for reports that show who and when.
public struct Finding: Sendable, Codable {
    public let diagnostic: Diagnostic
    /// The commits involved, oldest first; empty when the change is not committed yet.
    public let commits: [CommitInfo]

    public init(_ diagnostic: Diagnostic, commits: [CommitInfo] = []) {
        self.diagnostic = diagnostic
        self.commits = commits
    }
}

/// What `mig check` found comparing head with its base; renderers turn it into text, JSON,
/// GitHub annotations, SARIF or JUnit.
public struct CheckReport: Sendable, Codable {
    public let base: String
    public let baseCommit: GitObjectID
    public let headCommit: GitObjectID
    public let mergeBase: GitObjectID
    /// The project root relative to the repository root, for tools that resolve paths from there.
    public let pathPrefix: String
    public let findings: [Finding]
    /// What the shadow replays (`--shadow`, `stale-schema`) took from the snapshot cache; `nil` when none ran.
    public internal(set) var shadow: ShadowCacheUse?
    /// With `--shadow` on PostgreSQL: what each statement of the branch's migrations locked and
    /// rewrote in a shadow with generated rows (as `mig lint --measure`).
    public var measurements: [MeasuredStatement]?
    /// The rows generated before measuring, or why a table stayed empty.
    public var generatedRows: [GeneratedRows]?
    /// With `--shadow` on PostgreSQL: why nothing was measured, when nothing was.
    public var measurementSkipped: String?

    public var hasErrors: Bool { findings.map(\.diagnostic).hasErrors }
}

/// The catalogs a branch comparison needs, and the migrations head adds.
///
/// Shared by `mig check` (which reports) and `mig fix` (which renumbers), so both agree on
/// what "added by this branch" means.
public struct BranchCatalogs: Sendable {
    public let mergeBase: Catalog
    /// The base's tip: what head is compared with besides the merge base, so that a change the
    /// base already has (made there after the fork, or on both sides alike) is not the branch's.
    public let base: Catalog
    /// The working tree on top of HEAD.
    public let head: Catalog
    /// HEAD as committed, to tell committed changes from uncommitted ones.
    public let headCommit: Catalog

    /// Head's migrations that neither the merge base nor the base has, in version order.
    public let added: [Migration]

    public init(_ context: BranchContext) throws {
        mergeBase = try context.catalog(at: context.mergeBase)
        base = try context.catalog(at: context.base)
        headCommit = try context.catalog(at: context.head)
        head = try context.workingCatalog()
        let known = Set(mergeBase.migrations.map(\.identifier)).union(base.migrations.map(\.identifier))
        added = head.migrations.filter { !known.contains($0.identifier) }
    }
}

/// Compares head with its base and reports, with DESIGN.md's codes, what would go wrong on merge:
/// duplicate and reordered versions, edited and deleted merged migrations, the head catalog's
/// own findings, and a stale merge-conflict guard — and, given a shadow replay, whether the
/// order a deployed database runs the migrations in gives a different schema (`order-drift`) and
/// whether the committed schema file is current (`stale-schema`).
public struct BranchChecker {
    private let context: BranchContext
    private let drift: DeployOrderDrift?
    private let schema: SchemaFile.Check?
    /// The values replayed files' placeholders stand for, as `mig up` would run them.
    private let placeholders: Placeholders
    private let measure: ShadowReplay?

    /// With `schema`, also `stale-schema` when its file exists and differs from head's schema;
    /// with `measure` (a PostgreSQL shadow), the locks and rewrites of the branch's statements.
    public init(
        context: BranchContext, drift: DeployOrderDrift? = nil, schema: SchemaFile.Check? = nil,
        measure: ShadowReplay? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.context = context
        self.drift = drift
        self.schema = schema
        placeholders = Placeholders(project: context.project, environment: environment)
        self.measure = measure
    }

    public func run() throws -> CheckReport {
        let catalogs = try BranchCatalogs(context)
        let reader = context.historyReader()
        let headHistory = MigrationHistory(events: try reader.events(from: context.head, hiding: [context.mergeBase]))
        let baseHistory = MigrationHistory(events: try reader.events(from: context.base, hiding: [context.mergeBase]))
        let rules = Rules(
            catalogs: catalogs, headHistory: headHistory, baseHistory: baseHistory, baseName: context.baseName,
            directory: context.project.configuration.migrations.directory)
        var findings = rules.findings()
        findings += catalogs.head.diagnostics.map { Finding($0) }
        let configuration = context.project.configuration
        let lintTargets = LintTargets.branch(catalogs, directory: configuration.migrations.directory)
        findings += MigrationLinter(configuration: configuration).lint(lintTargets).map { Finding($0) }
        if let stale = try MergeGuard(project: context.project).staleness(of: context.workingSource) {
            findings.append(Finding(stale))
        }
        var cacheUse = ShadowCacheUse()
        if drift != nil || schema != nil, !catalogs.head.diagnostics.hasErrors {
            do {
                // The SQL as `mig up` runs it: placeholders replaced in the files that opt in.
                let base = try placeholders.substitute(in: catalogs.base)
                let head = try placeholders.substitute(in: catalogs.head)
                findings += try replayFindings(base: base, head: head, cacheUse: &cacheUse).map { Finding($0) }
            } catch let error as PlaceholderError {
                findings += error.diagnostics(under: configuration.migrations.directory).map { Finding($0) }
            }
        }
        // Measured last, once the replays passed: a migration that fails there is a finding, not a stop.
        var measurement: LockMeasurement?
        if let measure, configuration.migrations.dialect == .postgres {
            if catalogs.head.diagnostics.hasErrors {
                measurement = .skipped("the migrations have errors (see the findings)")
            } else if findings.contains(where: { $0.diagnostic.code == .shadowFailed }) {
                measurement = .skipped("a migration failed in the shadow (see shadow-failed)")
            } else if !lintTargets.contains(where: \.isLinted) {
                measurement = .skipped("the branch adds or changes no migration")
            } else {
                measurement = try LintRun.measure(
                    lintTargets, head: catalogs.head, placeholders: placeholders, in: measure, reusingKept: true)
                if measurement?.reused == true {
                    cacheUse.note(
                        "the lock measurement is the one kept in .migrate/cache for these same scripts on the same "
                            + "schema (--no-cache measures again)")
                }
            }
        }
        findings.sort { Self.order($0) < Self.order($1) }
        return CheckReport(
            base: context.baseName, baseCommit: context.base, headCommit: context.head, mergeBase: context.mergeBase,
            pathPrefix: context.projectPathInRepository, findings: findings,
            shadow: cacheUse.replays > 0 ? cacheUse : nil,
            measurements: measurement.flatMap { $0.skipped == nil ? $0.statements : nil },
            generatedRows: measurement.flatMap { $0.skipped == nil ? $0.generatedRows : nil },
            measurementSkipped: measurement?.skipped)
    }

    /// `order-drift` and `stale-schema`, from the shadow replays of base and head.
    private func replayFindings(base: Catalog, head: Catalog, cacheUse: inout ShadowCacheUse) throws -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var driftReplayFailed = false
        if let drift {
            let report = try drift.check(base: base, head: head)
            diagnostics += report.diagnostics
            driftReplayFailed = report.diagnostics.contains { $0.code == .shadowFailed }
            cacheUse = report.cacheUse
        }
        if let schema, try schema.file.read() != nil {
            switch try schema.file.produce(head, in: schema.replay, cacheUse: &cacheUse) {
            case .text(let text):
                if let stale = try schema.file.staleness(expected: text) { diagnostics.append(stale) }
            case .failed(let failures):
                // A versioned migration that failed is reported once, by the drift check, labelled with
                // its order; that check does not run repeatables, so their failures are reported here.
                if !driftReplayFailed { diagnostics += failures }
            }
        }
        return diagnostics
    }

    private static func order(_ finding: Finding) -> (String, Int, String) {
        let location = finding.diagnostic.location
        return (location?.path ?? "", location?.line ?? 0, finding.diagnostic.code.rawValue)
    }
}

/// A catalog's migrations by identifier (the first of duplicates wins), kept as positions so that
/// thousands of migrations are not copied into a dictionary.
private struct MigrationIndex {
    private let migrations: [Migration]
    private let positions: [String: Int]

    init(_ catalog: Catalog) {
        migrations = catalog.migrations
        positions = Dictionary(
            catalog.migrations.indices.map { (catalog.migrations[$0].identifier, $0) },
            uniquingKeysWith: { first, _ in first })
    }

    subscript(identifier: String) -> Migration? { positions[identifier].map { migrations[$0] } }
}

/// The comparison rules proper, on plain values.
private struct Rules {
    let catalogs: BranchCatalogs
    let headHistory: MigrationHistory
    let baseHistory: MigrationHistory
    let baseName: String
    /// The migration directory as configured (relative to the project root).
    let directory: String

    func findings() -> [Finding] {
        let mergeBase = MigrationIndex(catalogs.mergeBase)
        let head = MigrationIndex(catalogs.head)
        var added = catalogs.added
        var findings: [Finding] = []
        for theirs in catalogs.base.migrations {
            let old = mergeBase[theirs.identifier]
            if let ours = head[theirs.identifier] {
                guard let change = ScriptChange(ours: ours, theirs: theirs, old: old) else { continue }
                if old == nil {
                    findings.append(diverged(ours, theirs: theirs, change: change))
                } else {
                    findings.append(edited(ours, theirs: theirs, old: old, change: change))
                }
            } else if let old {
                let renamedTo = added.firstIndex { $0.up.checksum == old.up.checksum }.map { added.remove(at: $0) }
                findings.append(deleted(old, renamedTo: renamedTo))
            }
        }
        let newestOnBase = catalogs.base.migrations.last
        for migration in added {
            if let other = catalogs.base.migrations.first(where: { $0.version == migration.version }) {
                findings.append(duplicate(migration, other: other, inMergeBase: mergeBase[other.identifier] != nil))
            } else if let newestOnBase, migration.version < newestOnBase.version {
                findings.append(reordered(migration, newest: newestOnBase))
            }
        }
        return findings
    }

    /// Catalog paths are relative to the migration directory; findings show them from the project root.
    private func location(_ path: String, line: Int?) -> SourceLocation {
        SourceLocation(path: directory.isEmpty || directory == "." ? path : directory + "/" + path, line: line)
    }

    private func location(_ script: Script) -> SourceLocation { location(script.path, line: script.startLine) }

    private func location(_ migration: Migration) -> SourceLocation { location(migration.up) }

    /// Where a change is: the first changed script head has, or the base's down file head dropped.
    private func location(_ change: ScriptChange, in migration: Migration, theirs: Migration) -> SourceLocation {
        if change.up { return location(migration.up) }
        if let down = migration.down { return location(down) }
        return theirs.down.map { location($0.path, line: nil) } ?? location(migration)
    }

    /// The commits on this branch (not the base's, which came in with a merge) that touched a migration.
    private func branchCommits(_ identifier: String) -> [CommitInfo] {
        guard let record = headHistory.record(identifier) else { return [] }
        let theirs = baseHistory.record(identifier).map { Set(([$0.added].compactMap { $0 } + $0.modified).map(\.id)) } ?? []
        return ([record.added].compactMap { $0 } + record.modified).filter { !theirs.contains($0.id) }
    }

    /// "in <commits>", "in uncommitted changes" or both, for a change head makes to a migration.
    private func attribution(of migration: Migration, theirs: Migration, old: Migration?, commits: [CommitInfo]) -> String {
        let committed = catalogs.headCommit.migrations.first { $0.identifier == migration.identifier }
        let uncommitted = committed.map { ScriptChange(ours: migration, theirs: $0, old: nil) != nil } ?? true
        let inCommits = committed.flatMap { ScriptChange(ours: $0, theirs: theirs, old: old) } != nil
        var parts: [String] = []
        if inCommits {
            parts.append(commits.isEmpty ? "in commits since the merge base" : "in " + commits.map(\.label).joined(separator: ", "))
        }
        if uncommitted { parts.append("in uncommitted changes") }
        return parts.joined(separator: " and ")
    }

    private func addedLabel(_ identifier: String, in history: MigrationHistory) -> String {
        history.record(identifier)?.added.map { "added in \($0.label)" } ?? "not committed yet"
    }

    // MARK: - Findings

    private func edited(_ migration: Migration, theirs: Migration, old: Migration?, change: ScriptChange) -> Finding {
        let commits = branchCommits(migration.identifier)
        let by = attribution(of: migration, theirs: theirs, old: old, commits: commits)
        return Finding(
            Diagnostic(
                code: .editedMigration, location: location(change, in: migration, theirs: theirs),
                message: "\(migration.identifier) is already on \(baseName), but this branch changes \(change.what) \(by)",
                hint: "restore it as it is on \(baseName) and write a new migration instead: databases that ran it will not run it again"),
            commits: commits)
    }

    private func diverged(_ migration: Migration, theirs: Migration, change: ScriptChange) -> Finding {
        let ours = headHistory.record(migration.identifier)?.added
        let their = baseHistory.record(theirs.identifier)?.added
        return Finding(
            Diagnostic(
                code: .divergedMigration, location: location(change, in: migration, theirs: theirs),
                related: [location(theirs)],
                message: "\(migration.identifier) is added both by this branch (\(addedLabel(migration.identifier, in: headHistory))) "
                    + "and by \(baseName) (\(addedLabel(theirs.identifier, in: baseHistory))), and their \(change.both) differ: "
                    + "the merge keeps one, and databases that ran the other will never run it",
                hint: "take \(baseName)'s version here and move this branch's change into a new migration (`mig new`)"),
            commits: [ours, their].compactMap { $0 })
    }

    private func deleted(_ migration: Migration, renamedTo: Migration?) -> Finding {
        let record = headHistory.record(migration.identifier)
        let commit = record?.deleted
        let when = commit.map { "in \($0.label)" } ?? "in uncommitted changes"
        let what = renamedTo.map { "renames it to \($0.identifier)" } ?? "deletes it"
        return Finding(
            Diagnostic(
                code: .deletedMigration, location: location(migration),
                related: renamedTo.map { [location($0)] } ?? [],
                message: "\(migration.identifier) is already on \(baseName), but this branch \(what) \(when)",
                hint: "restore it as it is on \(baseName); to undo what it did, write a new migration"),
            commits: commit.map { [$0] } ?? [])
    }

    private func duplicate(_ migration: Migration, other: Migration, inMergeBase: Bool) -> Finding {
        let ours = headHistory.record(migration.identifier)?.added
        let theirs = baseHistory.record(other.identifier)?.added
        let theirLabel = inMergeBase ? "already there before this branch" : addedLabel(other.identifier, in: baseHistory)
        return Finding(
            Diagnostic(
                code: .duplicateVersion, location: location(migration),
                related: [location(other)],
                message: "version \(migration.version) of \(migration.identifier) (\(addedLabel(migration.identifier, in: headHistory))) "
                    + "is also used by \(other.identifier) on \(baseName) (\(theirLabel))",
                hint: "run `mig fix` to renumber this branch's migrations after \(baseName)'s newest"),
            commits: [ours, theirs].compactMap { $0 })
    }

    private func reordered(_ migration: Migration, newest: Migration) -> Finding {
        let ours = headHistory.record(migration.identifier)?.added
        let theirs = baseHistory.record(newest.identifier)?.added
        let theirLabel = theirs.map { "added in \($0.label)" } ?? "already there before this branch"
        return Finding(
            Diagnostic(
                code: .reorderedVersion, location: location(migration),
                related: [location(newest)],
                message: "\(migration.identifier) (\(addedLabel(migration.identifier, in: headHistory))) sorts before "
                    + "\(newest.identifier), already on \(baseName) (\(theirLabel)): every database that ran "
                    + "\(newest.identifier) would apply it out of order",
                hint: "run `mig fix` to give it a version after \(newest.version)"),
            commits: [ours, theirs].compactMap { $0 })
    }
}

/// Which scripts of a migration head changed, compared with the base's tip and the merge base:
/// a script counts only when it differs from both, so a change the base already has is not one.
private struct ScriptChange {
    let up: Bool
    let down: Bool

    /// `nil` when head's copy is the base's, or (with a merge base copy) the merge base's.
    init?(ours: Migration, theirs: Migration, old: Migration?) {
        func changed(_ checksum: (Migration) -> String?) -> Bool {
            checksum(ours) != checksum(theirs) && old.map { checksum($0) != checksum(ours) } ?? true
        }
        up = changed { $0.up.checksum }
        down = changed { $0.down?.checksum }
        if !up, !down { return nil }
    }

    /// "its up script", "its down script" or "its up and down scripts".
    var what: String {
        switch (up, down) {
        case (true, true): "its up and down scripts"
        case (true, false): "its up script"
        default: "its down script"
        }
    }

    /// The same scripts of two copies: "up scripts", "down scripts" or "up and down scripts".
    var both: String {
        switch (up, down) {
        case (true, true): "up and down scripts"
        case (true, false): "up scripts"
        default: "down scripts"
        }
    }
}
