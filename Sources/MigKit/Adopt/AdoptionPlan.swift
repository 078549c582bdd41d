import Foundation

/// What adopting a database writes into mig's history, and what it found on the way.
///
/// Made from another tool's `ForeignHistory` and the catalog by `AdoptionPlan.init`, before anything
/// is written, so that `--dry-run` shows exactly what a real run records.
public struct AdoptionPlan: Sendable {
    /// A version in the other tool's table that has no migration file here.
    public struct Unmatched: Sendable, Hashable {
        public let entry: ForeignHistory.Entry
        /// Whether it is recorded in mig's history anyway (as a row without a file, shown as
        /// missing-file by `mig status`); `false` when its version is not one mig can read.
        public let recorded: Bool
    }

    public let tool: ForeignTool
    public let table: String
    /// How many migrations the other tool counts as applied or failed (golang-migrate's single row
    /// and Flyway's baseline counted as the files they cover).
    public let foreignCount: Int
    /// The rows mig writes, in version order, each with its place in the other tool's applied order as
    /// `appliedOrder` (`HistoryWriter` writes them in that order).
    public let records: [AppliedMigration]
    /// The versions matched with a migration file.
    public let matched: [Version]
    public let unmatched: [Unmatched]
    /// Everything a person should read: failed migrations recorded dirty, versions without files,
    /// what the table holds that is not adopted.
    public let findings: [String]

    /// Matches `history` with `catalog`. Versions match as versions compare (`0003` is `3`, Flyway's
    /// `1_1` is `1.1`, and as in Flyway `1.0` is `1`), with dashes removed (diesel stores
    /// `2024-01-15-120000` as `20240115120000`).
    public init(history: ForeignHistory, catalog: Catalog, context: RunContext, now: Date = Date()) {
        tool = history.tool
        table = history.table
        let byKey = Dictionary(
            catalog.migrations.compactMap { migration in Self.key(migration.version.text).map { ($0, migration) } },
            uniquingKeysWith: { first, _ in first })
        var entries = history.entries
        if let limit = history.coversUpTo.flatMap(Self.key) {
            let listed = Set(entries.compactMap { Self.key($0.version) })
            entries += catalog.migrations.filter { migration in
                guard let key = Self.key(migration.version.text) else { return false }
                return key <= limit && !listed.contains(key)
            }.map { ForeignHistory.Entry(version: $0.version.text) }
        }
        let appliedOrder = Self.inAppliedOrder(entries)
        entries.sort { (Self.key($0.version) ?? Version("0")!) < (Self.key($1.version) ?? Version("0")!) }
        foreignCount = entries.count

        var records: [AppliedMigration] = []
        var matched: [Version] = []
        var unmatched: [Unmatched] = []
        var findings: [String] = []
        for entry in entries {
            let appliedBy =
                "adopted from \(history.tool.rawValue)" + (entry.appliedBy.map { " (installed by \($0))" } ?? "")
                + " by \(context.appliedBy)"
            let state: AppliedMigration.State = entry.state == .failed ? .dirty : .applied
            guard let key = Self.key(entry.version) else {
                unmatched.append(Unmatched(entry: entry, recorded: false))
                findings.append(
                    "\(history.table) lists version '\(entry.version)', which is not a version mig can read: not recorded"
                )
                continue
            }
            let migration = byKey[key]
            let version = migration?.version ?? Version(entry.version.replacingOccurrences(of: "-", with: "")) ?? key
            records.append(
                AppliedMigration(
                    version: version, name: migration?.name ?? entry.name ?? "unknown",
                    checksum: migration?.up.checksum ?? "", appliedAt: entry.appliedAt ?? now,
                    executionMilliseconds: entry.executionMilliseconds ?? 0, appliedBy: appliedBy,
                    gitCommit: context.gitCommit, state: state,
                    // A migration another tool left half-done cannot be resumed: a person resolves it.
                    completedStatements: state == .dirty ? [AppliedMigration.failedRevertMarker] : [],
                    appliedOrder: appliedOrder[entry].map { Int64($0) }))
            if let migration {
                matched.append(migration.version)
            } else {
                unmatched.append(Unmatched(entry: entry, recorded: true))
                findings.append(
                    "\(history.table) lists version \(entry.version)\(entry.name.map { " (\($0))" } ?? ""), which has no "
                        + "file in the migration directory: recorded without a file (`mig status` shows it missing-file)"
                )
            }
            if state == .dirty {
                findings.append(
                    "\(migration?.identifier ?? entry.version) failed part-way under \(history.tool.rawValue): recorded dirty; "
                        + "repair the database, then run `mig resolve \(version) --applied` or `--not-applied`")
            }
        }
        self.records = records
        self.matched = matched
        self.unmatched = unmatched
        self.findings = findings + history.notes
    }

    /// Each entry's place in the order the other tool applied them: by the tool's own `rank` where it
    /// keeps one, after the versions a baseline or golang-migrate's single row covers (which have
    /// none); else by applied time, then version.
    private static func inAppliedOrder(_ entries: [ForeignHistory.Entry]) -> [ForeignHistory.Entry: Int] {
        let sorted = entries.sorted { left, right in
            switch (left.rank, right.rank) {
            case (let l?, let r?): return l < r
            case (nil, .some): return true
            case (.some, nil): return false
            case (nil, nil):
                return (left.appliedAt ?? .distantPast, key(left.version) ?? Version("0")!)
                    < (right.appliedAt ?? .distantPast, key(right.version) ?? Version("0")!)
            }
        }
        return Dictionary(sorted.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { first, _ in first })
    }

    /// What a stored version text is matched by: its version with dashes removed and trailing zero
    /// components dropped (Flyway's `1.0` is its `1`).
    static func key(_ text: String) -> Version? {
        guard let version = Version(text.replacingOccurrences(of: "-", with: "")) else { return nil }
        return Version(version.withoutTrailingZeros.map(String.init).joined(separator: "."))
    }
}
