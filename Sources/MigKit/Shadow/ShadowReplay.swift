/// Makes a fresh, empty shadow database (SQLite: in memory).
public typealias ShadowDatabaseFactory = () throws -> any DatabaseDriver

/// One migration replayed in a shadow, with its time.
public struct ShadowStep: Sendable, Codable {
    public let version: Version
    public let name: String
    public let direction: Direction
    public let milliseconds: Int
}

/// What `mig shadow` found: every step replayed and the findings.
public struct ShadowReport: Sendable, Codable {
    public internal(set) var steps: [ShadowStep] = []
    /// The repeatable migrations run after the ups (`R__name`), in order.
    public internal(set) var repeatables: [String] = []
    public internal(set) var diagnostics: [Diagnostic] = []
    /// Whether the up/down/up roundtrip ran to its end.
    public internal(set) var roundtripCompleted = false
    /// Why the roundtrip did not run, when it was asked for but could not.
    public internal(set) var roundtripSkipped: String?
    /// What the roundtrip left out, and why, when it covered only the newest migrations (those
    /// after the newest migration without a down script).
    public internal(set) var roundtripUntested: String?
    /// The schema after the first up of everything, when asked for (or needed by the roundtrip).
    public internal(set) var schema: SchemaSnapshot?
    /// How many of the first migrations were restored from a cached snapshot instead of replayed.
    public internal(set) var restoredFromCache = 0
    /// Whether nothing ran at all: the cache holds a snapshot after exactly these migrations, so
    /// their replay passed before, and nothing was asked that needs the database (schema,
    /// roundtrip, repeatables, a kept file). `restoredFromCache` then counts them all.
    public internal(set) var passedBefore = false
    /// How many of the first migrations were left out of the roundtrip because their roundtrip
    /// passed before with the same scripts (remembered in the cache).
    public internal(set) var roundtripFromCache = 0
    /// Cache files that were damaged and ignored.
    public internal(set) var cacheNotes: [String] = []
}

/// Replays a catalog's migrations into a throw-away database: every up in version order, and
/// with `roundtrip` every down in reverse (each must bring the schema back to what it was before
/// its up) and every up again (the schema must equal the first up's). A migration without a down
/// script limits the roundtrip to the migrations after it, and the report says so.
///
/// Engine-neutral: it speaks `DatabaseDriver` only and gets its databases from `makeDatabase`.
/// To name the down that does not revert, it remembers a digest of the schema before each up
/// (`schemaDigest()`: on SQLite one scan of `sqlite_schema`, reading through the pragmas only
/// objects whose text is new), not the schema itself, so a thousand migrations do not hold a
/// thousand schemas in memory and a step does not cost a full schema read. Only when two digests
/// differ does it rebuild the expected schema and compare the normalised snapshots, to print the
/// difference (or, should two equal schemas ever hash apart, to let them pass).
///
/// With a `cache`, a replay of exactly the migrations of a kept snapshot that needs nothing from
/// the database runs nothing (the snapshot exists only because that replay passed); any other
/// replay starts from the snapshot of the longest prefix it holds, keeps new
/// snapshots every `cache.interval` migrations and after the last, and round-trips only the
/// migrations after the longest prefix whose roundtrip passed before.
public struct ShadowReplay {
    public let makeDatabase: ShadowDatabaseFactory
    /// The migration directory relative to the project root, for the paths in findings.
    public let directoryPrefix: String
    /// Snapshots of earlier replays; `nil` replays from nothing (`--no-cache`).
    public let cache: ShadowSnapshotCache?

    public init(
        directoryPrefix: String, cache: ShadowSnapshotCache? = nil, makeDatabase: @escaping ShadowDatabaseFactory
    ) {
        self.makeDatabase = makeDatabase
        self.directoryPrefix = directoryPrefix
        self.cache = cache
    }

    /// Replays `migrations` (in the order given), then runs `repeatables` (Flyway's `R__` files, in
    /// the order given) as `mig up` does; with repeatables, a roundtrip is skipped (their objects would
    /// stand in the way of every down), and the report says why. `progress` sees each step as it completes;
    /// `afterFirstUp` sees the database once every up has run (to keep it as a file). With
    /// `capturingSchema` the report holds the schema after the ups (reading it costs a little).
    /// `checkpoint` names one more prefix length worth a cached snapshot (a base branch's end).
    public func run(
        _ migrations: [Migration], repeatables: [RepeatableMigration] = [], roundtrip: Bool,
        capturingSchema: Bool = false, checkpoint: Int? = nil,
        progress: (ShadowStep) -> Void = { _ in }, afterFirstUp: ((any DatabaseDriver) throws -> Void)? = nil
    ) throws -> ShadowReport {
        var report = ShadowReport()
        // The roundtrip covers the migrations after the newest one without a down script…
        var firstTested = migrations.count
        while firstTested > 0, migrations[firstTested - 1].down != nil { firstTested -= 1 }
        let keys = cache.map { ShadowSnapshotCache.Keys(migrations, dialect: $0.store.dialect) }
        // …and of those only the ones after the longest prefix whose roundtrip passed before.
        var roundtripStart = firstTested
        if roundtrip, let cache, let keys,
            let passed = keys.roundtrip.indices.last(where: { cache.roundtripPassed(keys.roundtrip[$0]) }),
            passed + 1 > firstTested
        {
            roundtripStart = passed + 1
            report.roundtripFromCache = roundtripStart - firstTested
        }
        if let cache, let keys, let whole = keys.snapshot.last, !roundtrip, repeatables.isEmpty, !capturingSchema,
            afterFirstUp == nil, cache.replayPassed(whole)
        {
            (report.passedBefore, report.restoredFromCache) = (true, migrations.count)
            return report
        }
        var start = 0
        var restoredDatabase: (any DatabaseDriver)?
        if let cache, let keys {
            // The roundtrip needs the schema before each up it reverts, so the restore stops there.
            let restored = cache.restoreLongestPrefix(
                keys, limit: roundtrip ? roundtripStart : migrations.count, makeDatabase: makeDatabase)
            (start, report.restoredFromCache, report.cacheNotes) = (restored.count, restored.count, restored.notes)
            restoredDatabase = restored.database
        }
        let database = try restoredDatabase ?? makeDatabase()
        /// The digest of the schema before each up the roundtrip reverts, by index.
        var schemaBefore: [Int: Int] = [:]
        func perform(_ step: MigrationPlan.Step) throws(MigrationFailure) {
            let milliseconds = try executor(for: database).perform(step)
            let direction: Direction = if case .apply = step { .up } else { .down }
            let done = ShadowStep(
                version: step.migration.version, name: step.migration.name, direction: direction,
                milliseconds: milliseconds)
            report.steps.append(done)
            progress(done)
        }
        do {
            for index in migrations.indices.dropFirst(start) {
                if roundtrip, index >= roundtripStart { schemaBefore[index] = try database.schemaDigest() }
                try perform(.apply(migrations[index]))
                if let cache, let keys, cache.isCheckpoint(index + 1, of: migrations.count, extra: checkpoint),
                    !cache.hasSnapshot(keys.snapshot[index])
                {
                    cache.store(database, key: keys.snapshot[index])
                }
            }
            if let cache, let whole = keys?.snapshot.last { cache.recordReplayPassed(whole) }
            for repeatable in repeatables {
                _ = try executor(for: database).perform(repeatable)
                report.repeatables.append(repeatable.identifier)
            }
        } catch let failure as MigrationFailure {
            report.diagnostics.append(failure.diagnostic)
            return report
        }
        try afterFirstUp?(database)
        guard roundtrip else {
            if capturingSchema { report.schema = try database.schemaSnapshot() }
            return report
        }
        let firstUp = try database.schemaSnapshot()
        let firstUpDigest = try database.schemaDigest()
        if capturingSchema { report.schema = firstUp }
        let tested = roundtripStart..<migrations.count
        guard repeatables.isEmpty || tested.isEmpty else {
            report.roundtripSkipped =
                "the repeatable migrations (R__) run after every versioned one, so an undo script cannot be "
                + "checked against the schema before its migration"
            return report
        }
        if firstTested > 0 {
            let withoutDown = firstTested - 1
            let missing = migrations[withoutDown].identifier
            guard firstTested < migrations.count else {
                report.roundtripSkipped = "\(missing) has no down script"
                return report
            }
            report.roundtripUntested =
                "\(missing) has no down script, so the roundtrip reverted only the \(migrations.count - firstTested) newer migration(s); "
                + "\(missing)\(withoutDown > 0 ? " and the \(withoutDown) older" : "") were not reverted"
        }
        do {
            for index in tested.reversed() {
                let migration = migrations[index]
                try perform(.revert(migration))
                guard try database.schemaDigest() == schemaBefore[index]! else {
                    let (expected, after) = (try schema(after: Array(migrations[..<index])), try database.schemaSnapshot())
                    guard expected == after else {
                        report.diagnostics.append(notReverting(migration, expected: expected, actual: after))
                        return report
                    }
                    continue
                }
            }
            for index in tested {
                let migration = migrations[index]
                try perform(.apply(migration))
                let expected = index + 1 < migrations.count ? schemaBefore[index + 1]! : firstUpDigest
                guard try database.schemaDigest() == expected else {
                    let wanted = index + 1 < migrations.count ? try schema(after: Array(migrations[...index])) : firstUp
                    let after = try database.schemaSnapshot()
                    guard wanted == after else {
                        report.diagnostics.append(secondUpDiffers(migration, expected: wanted, actual: after))
                        return report
                    }
                    continue
                }
            }
        } catch let failure as MigrationFailure {
            report.diagnostics.append(failure.diagnostic)
            return report
        }
        report.roundtripCompleted = true
        if let cache, let keys, let last = keys.roundtrip.last { cache.recordRoundtripPassed(last) }
        return report
    }

    /// The schema a fresh shadow has after `migrations`' ups.
    func schema(after migrations: [Migration]) throws -> SchemaSnapshot {
        let database = try makeDatabase()
        let executor = executor(for: database)
        for migration in migrations { _ = try executor.perform(.apply(migration)) }
        return try database.schemaSnapshot()
    }

    private func executor(for database: any DatabaseDriver) -> MigrationStepExecutor {
        MigrationStepExecutor(driver: database, context: nil, directoryPrefix: directoryPrefix, inShadow: true)
    }

    private func location(of script: Script?) -> SourceLocation? {
        script.map {
            SourceLocation(path: RunContext.displayPath(of: $0.path, under: directoryPrefix), line: $0.startLine)
        }
    }

    private func notReverting(_ migration: Migration, expected: SchemaSnapshot, actual: SchemaSnapshot) -> Diagnostic {
        Diagnostic(
            code: .shadowFailed, location: location(of: migration.down),
            message: "the down script of \(migration.identifier) does not fully revert its up "
                + "(- before the up, + after the down):\n" + expected.difference(to: actual).joined(separator: "\n"),
            hint: "make the down script undo everything the up script does")
    }

    private func secondUpDiffers(_ migration: Migration, expected: SchemaSnapshot, actual: SchemaSnapshot) -> Diagnostic
    {
        Diagnostic(
            code: .shadowFailed, location: location(of: migration.up),
            message: "after up, down and up again, the schema after \(migration.identifier) differs from the first up "
                + "(- first up, + second up):\n" + expected.difference(to: actual).joined(separator: "\n"),
            hint:
                "a down script left something behind that this migration's up builds on; make the downs undo everything"
        )
    }
}
