/// Compares a live database's schema with the schema its applied migrations should give, to find
/// what was changed by hand: an index made in a console, a default dropped during an incident, a
/// table nobody wrote a migration for.
///
/// The expected schema comes from a shadow: exactly the migrations the history table lists,
/// in the order the database applied them (not the order of the files on disk), then the
/// repeatables that ran on it — restored from the snapshot cache where the prefix is unchanged.
/// Both sides leave out mig's own tables. Nothing is written to the database: its history, schema
/// and definitions are read in one read-only transaction (`DatabaseDriver.readingConsistently`).
public struct SchemaDrift {
    /// Where the expected schema is built: shadows of the project's dialect, with its snapshot cache.
    public let replay: ShadowReplay

    /// A comparison that builds the expected schema with `replay`.
    public init(replay: ShadowReplay) {
        self.replay = replay
    }

    /// What the comparison found, and what it was based on.
    public struct Report: Sendable, Encodable {
        /// Every difference, in path order; empty when the database is what its migrations give.
        public let differences: [SchemaDifference]
        /// The migrations replayed into the shadow, in the order the database applied them.
        public let replayed: [String]
        /// The repeatables replayed after them (`R__name`).
        public let repeatables: [String]
        /// How many of `replayed` were restored from a snapshot in `.migrate/cache` instead of run.
        public let restoredFromCache: Int
        /// What makes the expected schema less than exact (a migration changed since it was applied,
        /// a dirty one), and cache files that were ignored.
        public let notes: [String]
        /// Migrations in the directory the database has not applied (pending or out of order).
        public let unapplied: [String]
        /// Whether the expected schema is only approximate: a migration changed since it was applied
        /// or dirty, or a repeatable changed since it ran (`notes` says which).
        public let isApproximate: Bool

        /// Whether the database differs from the schema its migrations give.
        public var hasDrift: Bool { !differences.isEmpty }

        /// Why a repair must not be written from this comparison, or `nil` when it may. A repair
        /// is the next version, and the database records it without running it (`mig baseline`),
        /// which would record an older unapplied migration as applied too; and a repair of an
        /// approximate schema would repair the wrong thing.
        public var reasonNotToWriteRepair: String? {
            if !unapplied.isEmpty {
                let them = unapplied.count == 1 ? "it" : "them"
                return "the database has not applied \(unapplied.joined(separator: ", ")): recording a repair "
                    + "(`mig baseline`) would record \(them) as applied without running \(them); apply \(them) "
                    + "first (mig up), then run diff again"
            }
            if isApproximate {
                return "the schema the migrations give is only approximate (notes above): resolve the changed "
                    + "or dirty migration first (`mig status` says how), then run diff again"
            }
            return nil
        }
    }

    /// The result: a comparison, or the findings of a replay that failed (then nothing can be compared).
    public enum Outcome {
        /// The replay ran: what the comparison found.
        case compared(Report)
        /// The applied migrations fail in the shadow: their findings.
        case replayFailed([Diagnostic])
    }

    /// Why the expected schema cannot be built at all.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Applied migrations (`VERSION_name`) without a file in the migration directory.
        case missingFiles([String])

        public var description: String {
            switch self {
            case .missingFiles(let identifiers):
                "the database has applied \(identifiers.joined(separator: ", ")) but the migration directory has no "
                    + "file for \(identifiers.count == 1 ? "it" : "them"), so the schema its migrations give cannot be "
                    + "rebuilt: restore the files from Git (`mig history`)"
            }
        }
    }

    /// Replays the migrations `database` applied and compares its schema with the result.
    /// `inspect` sees the shadow once the replay is done, with the differences found (for
    /// `SchemaRepair` to read the migrations' definitions).
    public func compare(
        _ database: any DatabaseDriver, catalog: Catalog,
        inspect: ((any DatabaseDriver, [SchemaDifference]) throws -> Void)? = nil
    ) throws -> Outcome {
        // The history, the schema and the definitions a repair reads are one moment of the database.
        try database.readingConsistently {
            try compareReading(database, catalog: catalog, inspect: inspect)
        }
    }

    private func compareReading(
        _ database: any DatabaseDriver, catalog: Catalog,
        inspect: ((any DatabaseDriver, [SchemaDifference]) throws -> Void)?
    ) throws -> Outcome {
        let planner = MigrationPlanner(
            catalog: catalog, applied: try database.appliedMigrations(),
            appliedRepeatables: try database.appliedRepeatables(), dialect: database.dialect)
        let missing = planner.appliedInOrder.filter { catalog.migration($0.version) == nil }
        guard missing.isEmpty else { throw Failure.missingFiles(missing.map { "\($0.version.text)_\($0.name)" }) }
        let migrations = planner.appliedInOrder.compactMap { catalog.migration($0.version) }
        var notes: [String] = []
        var unapplied: [String] = []
        var isApproximate = false
        for status in planner.status() {
            let identifier = "\(status.version.text)_\(status.name)"
            if status.state == .changed || status.state == .dirty { isApproximate = true }
            switch status.state {
            case .pending, .outOfOrder:
                unapplied.append(identifier)
            case .changed:
                notes.append("\(identifier) changed since it was applied: the expected schema comes from today's file")
            case .dirty:
                notes.append(
                    "\(identifier) is dirty (it failed part-way): the expected schema counts all of it; "
                        + "resolve it first (`mig status` says how)")
            default: continue
            }
        }
        let ran = planner.repeatableStatus().filter { $0.applied != nil }
        for status in ran where status.state == .outdated {
            isApproximate = true
            notes.append(
                "\(status.repeatable.identifier) changed since it last ran: the expected schema comes from today's file"
            )
        }
        let known = Set(catalog.repeatables.map(\.name))
        for record in planner.appliedRepeatables where !known.contains(record.name) {
            notes.append("R__\(record.name) ran on the database but its file is gone: what it made counts as drift")
        }
        let actual = try database.schemaSnapshot()
        var differences: [SchemaDifference] = []
        let replayed = try replay.run(
            migrations, repeatables: ran.map(\.repeatable), roundtrip: false,
            afterFirstUp: { shadow in
                differences = SchemaDifference.between(migrations: try shadow.schemaSnapshot(), database: actual)
                try inspect?(shadow, differences)
            })
        guard replayed.diagnostics.isEmpty else { return .replayFailed(replayed.diagnostics) }
        return .compared(
            Report(
                differences: differences, replayed: migrations.map(\.identifier),
                repeatables: replayed.repeatables, restoredFromCache: replayed.restoredFromCache,
                notes: replayed.cacheNotes + notes, unapplied: unapplied, isApproximate: isApproximate))
    }
}
