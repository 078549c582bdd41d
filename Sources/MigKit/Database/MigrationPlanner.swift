/// Where one migration stands between the migration directory and the history table.
public struct MigrationStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case applied
        /// Not applied yet, newer than everything applied.
        case pending
        /// Not applied yet, but older than a migration that is: applying it runs it out of order.
        case outOfOrder = "out-of-order"
        /// In the history table, but no file for it in the migration directory.
        case missingFile = "missing-file"
        /// Applied, but its up script has changed since (the checksums differ).
        case changed
        /// A migration outside a transaction failed (or was killed) part-way.
        case dirty
    }

    public let version: Version
    public let name: String
    public let state: State
    /// The history row, for anything that was applied.
    public let applied: AppliedMigration?
    /// The up script's file, relative to the migration directory, when the migration has files.
    public let path: String?
}

/// A change to apply to a database, one migration at a time.
public struct MigrationPlan: Sendable {
    public enum Step: Sendable, Hashable {
        case apply(Migration)
        case revert(Migration)

        public var migration: Migration {
            switch self {
            case .apply(let migration), .revert(let migration): migration
            }
        }

        /// The script this step runs: the up of an apply, the down of a revert.
        public var script: Script? {
            switch self {
            case .apply(let migration): migration.up
            case .revert(let migration): migration.down
            }
        }
    }

    public let steps: [Step]
    /// Flyway repeatable migrations that are new or changed since they last ran, in name order: an
    /// `up` plan runs them after its steps.
    public let repeatables: [RepeatableMigration]
    /// Applied migrations whose files are gone from the migration directory: an `up` plan names
    /// them, so that "up to date" is never said of a database that has more than the files.
    public let missingFiles: [MigrationStatus]

    public init(steps: [Step], repeatables: [RepeatableMigration] = [], missingFiles: [MigrationStatus] = []) {
        self.steps = steps
        self.repeatables = repeatables
        self.missingFiles = missingFiles
    }

    public var isEmpty: Bool { steps.isEmpty && repeatables.isEmpty }

    /// Whether the plan applies anything (a migration or a repeatable): then Flyway's `beforeMigrate`
    /// and `afterMigrate` callbacks run around it.
    public var applies: Bool { steps.contains(where: \.isApply) || !repeatables.isEmpty }
}

/// Why a plan cannot be made; each case says which migrations and what to do.
public enum PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    case changed([MigrationStatus])
    case outOfOrder([MigrationStatus])
    case dirty([MigrationStatus])
    case unknownVersion(Version)
    case noDownScript(Migration)
    case missingFiles(AppliedMigration)
    case nothingApplied

    public var description: String {
        switch self {
        case .changed(let migrations):
            "\(list(migrations)) changed since \(migrations.count == 1 ? "it was" : "they were") applied "
                + "(the checksum of the up script differs from the history table's): "
                + "restore the applied version and put the change in a new migration, or pass --allow-changed"
        case .outOfOrder(let migrations):
            "\(list(migrations)) \(migrations.count == 1 ? "is" : "are") older than a migration already applied, "
                + "so applying now runs out of version order: renumber with `mig fix`, or pass --allow-out-of-order"
        case .dirty(let migrations):
            "\(list(migrations)) ran outside a transaction and failed part-way (state dirty), and the statements "
                + "that had succeeded have changed since (or the file is gone), so mig cannot resume: repair the "
                + "database by hand, then run `mig resolve VERSION --applied` (its changes are in place) or "
                + "`mig resolve VERSION --not-applied` (run it again from the start)"
        case .unknownVersion(let version):
            "no migration has version \(version): see `mig status` for the versions"
        case .noDownScript(let migration):
            "\(migration.identifier) has no down script, so it cannot be reverted: write one, or revert by hand"
        case .missingFiles(let record):
            "\(record.version.text)_\(record.name) is applied but its files are gone from the migration directory, "
                + "so it cannot be reverted: restore them from Git"
        case .nothingApplied:
            "nothing is applied, so there is nothing to revert"
        }
    }

    private func list(_ migrations: [MigrationStatus]) -> String {
        let names = migrations.map { "\($0.version.text)_\($0.name)" }
        return (names.count == 1 ? "migration " : "migrations ") + names.joined(separator: ", ")
    }
}

/// Compares a catalog with a database's history and plans `up`, `down` and `redo`, without
/// changing anything: the read-only half of applying migrations (`MigrationRunner` writes).
public struct MigrationPlanner: Sendable {
    public let catalog: Catalog
    /// History rows in version order.
    public let applied: [AppliedMigration]
    /// The repeatables table's rows.
    public let appliedRepeatables: [AppliedRepeatable]
    /// The scripts' dialect: how they split into the statements a dirty migration resumes at.
    public let dialect: Dialect

    public init(
        catalog: Catalog, applied: [AppliedMigration], appliedRepeatables: [AppliedRepeatable] = [], dialect: Dialect
    ) {
        self.catalog = catalog
        self.applied = applied.sorted { $0.version < $1.version }
        self.appliedRepeatables = appliedRepeatables
        self.dialect = dialect
    }

    /// Every repeatable migration of the catalog in name order, with where it stands. A row of the
    /// repeatables table without a file is not listed: Flyway ignores it too, and it changes nothing.
    public func repeatableStatus() -> [RepeatableStatus] {
        let records = Dictionary(appliedRepeatables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return catalog.repeatables.map { repeatable in
            let record = records[repeatable.name]
            let state: RepeatableStatus.State =
                switch record {
                case nil: .pending
                case let record? where record.checksum != repeatable.script.checksum: .outdated
                case .some: .applied
                }
            return RepeatableStatus(repeatable: repeatable, state: state, applied: record)
        }
    }

    /// Every migration of the catalog and every history row, in version order.
    public func status() -> [MigrationStatus] {
        let records = Dictionary(applied.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let newestApplied = applied.last?.version
        var statuses: [MigrationStatus] = catalog.migrations.map { migration in
            let record = records[migration.version]
            let state: MigrationStatus.State
            switch record {
            case let record? where record.state == .dirty: state = .dirty
            case let record? where record.checksum != migration.up.checksum: state = .changed
            case .some: state = .applied
            case nil where newestApplied.map { migration.version < $0 } == true: state = .outOfOrder
            case nil: state = .pending
            }
            return MigrationStatus(
                version: migration.version, name: migration.name, state: state, applied: record, path: migration.up.path
            )
        }
        let known = Set(catalog.migrations.map(\.version))
        for record in applied where !known.contains(record.version) {
            statuses.append(
                MigrationStatus(
                    version: record.version, name: record.name, state: record.state == .dirty ? .dirty : .missingFile,
                    applied: record, path: nil))
        }
        return statuses.sorted { $0.version < $1.version }
    }

    /// Applies the pending migrations in version order, up to and including `target`; without a
    /// target, then runs the repeatable migrations that are new or changed, in name order (after every
    /// versioned one, as Flyway does — with a target they wait for a run that reaches the newest).
    public func upPlan(to target: Version? = nil, allowOutOfOrder: Bool = false, allowChanged: Bool = false)
        throws(PlanError) -> MigrationPlan
    {
        let statuses = status()
        let dirty = statuses.filter { $0.state == .dirty && resumePoint(of: $0) == nil }
        guard dirty.isEmpty else { throw .dirty(dirty) }
        let changed = statuses.filter { $0.state == .changed }
        guard changed.isEmpty || allowChanged else { throw .changed(changed) }
        if let target, !statuses.contains(where: { $0.version == target }) { throw .unknownVersion(target) }
        let chosen = statuses.filter { status in
            [.pending, .outOfOrder, .dirty].contains(status.state) && (target.map { status.version <= $0 } ?? true)
        }
        let outOfOrder = chosen.filter { $0.state == .outOfOrder }
        guard outOfOrder.isEmpty || allowOutOfOrder else { throw .outOfOrder(outOfOrder) }
        return MigrationPlan(
            steps: chosen.compactMap { catalog.migration($0.version) }.map { .apply($0) },
            repeatables: target == nil ? repeatableStatus().filter(\.isDue).map(\.repeatable) : [],
            missingFiles: statuses.filter { $0.state == .missingFile })
    }

    /// For a dirty migration: the index of the statement `mig up` resumes at, or `nil` when it cannot
    /// (the file is gone, or a statement that had succeeded was changed since).
    public func resumePoint(of status: MigrationStatus) -> Int? {
        guard status.state == .dirty, let record = status.applied, let migration = catalog.migration(status.version)
        else { return nil }
        guard let reading = try? dialect.reader.read(migration.up.sql) else { return nil }
        return Self.resumePoint(of: migration, after: record, statements: reading.statements)
    }

    /// For a dirty migration, what `mig status` tells the user: where `mig up` will resume, or that
    /// it cannot and `mig resolve` is the way out.
    public func dirtyAdvice(for status: MigrationStatus, directoryPrefix: String) -> String? {
        guard status.state == .dirty else { return nil }
        let identifier = "\(status.version.text)_\(status.name)"
        guard let index = resumePoint(of: status), let migration = catalog.migration(status.version) else {
            return "\(identifier) is dirty and cannot be resumed (its file is gone, or statements that had run "
                + "changed since, or its down failed): repair the database, then `mig resolve \(status.version.text) "
                + "--applied` or `--not-applied`"
        }
        let statements = (try? dialect.reader.read(migration.up.sql).statements) ?? []
        guard index < statements.count else {
            return "\(identifier) is dirty but every statement ran: `mig up` marks it applied"
        }
        let line = migration.up.fileLine(forScriptLine: statements[index].startLine)
        let path = RunContext.displayPath(of: migration.up.path, under: directoryPrefix)
        return "\(identifier) is dirty: \(index) of \(statements.count) statement(s) ran; `mig up` resumes at "
            + "\(path):\(line) (or repair by hand and `mig resolve \(status.version.text) --applied`)"
    }

    /// How many of `migration`'s up statements the dirty `record` says are done, when they are still
    /// the first statements of the script, unchanged.
    static func resumePoint(of migration: Migration, after record: AppliedMigration, statements: [SQLStatement])
        -> Int?
    {
        guard statements.map(\.digest).starts(with: record.completedStatements) else { return nil }
        return record.completedStatements.count
    }

    /// The history rows in the order the database applied them, oldest first (`applied_order`).
    public var appliedInOrder: [AppliedMigration] { AppliedMigration.inAppliedOrder(applied) }

    /// Reverts the `steps` migrations the database applied last, or every applied migration newer
    /// than `target` (`0`: every one, version 0 included), newest first in the order the database
    /// applied them — after an out-of-order apply, that is not version order.
    public func downPlan(steps: Int = 1, to target: Version? = nil) throws(PlanError) -> MigrationPlan {
        let everything = target == Version("0")
        if let target, !everything, !status().contains(where: { $0.version == target }) {
            throw .unknownVersion(target)
        }
        let inOrder = appliedInOrder
        let reverting =
            target.map { limit in inOrder.filter { everything || $0.version > limit } } ?? Array(inOrder.suffix(steps))
        var plan: [MigrationPlan.Step] = []
        for record in reverting.reversed() {
            guard let migration = catalog.migration(record.version) else { throw .missingFiles(record) }
            guard migration.down != nil else { throw .noDownScript(migration) }
            plan.append(.revert(migration))
        }
        return MigrationPlan(steps: plan)
    }

    /// Reverts the newest applied migration and applies it again.
    public func redoPlan() throws(PlanError) -> MigrationPlan {
        guard !applied.isEmpty else { throw .nothingApplied }
        let revert = try downPlan(steps: 1)
        return MigrationPlan(steps: revert.steps + revert.steps.map { .apply($0.migration) })
    }
}
