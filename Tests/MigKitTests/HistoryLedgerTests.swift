import Foundation
import MigKit
import MigTestSupport
import Testing

/// The applied order and the events record on real SQLite files: `down` reverts the last applied
/// first whatever the clock says, a history table of an earlier mig is upgraded in place, and the
/// past stays visible after a down.
@Suite struct HistoryLedgerTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER);", down: "DROP TABLE users;")
        try fixture.add("0002", "posts", up: "CREATE TABLE posts (id INTEGER);", down: "DROP TABLE posts;")
    }

    private func runner(_ driver: SQLiteDriver) throws -> MigrationRunner {
        MigrationRunner(driver: driver, catalog: try fixture.catalog(), context: fixture.context)
    }

    private func row(_ version: String, at date: Date) -> AppliedMigration {
        AppliedMigration(
            version: Version(version)!, name: "x", checksum: "c", appliedAt: date, executionMilliseconds: 0,
            appliedBy: "tester", gitCommit: nil, state: .applied)
    }

    /// The history table as an earlier mig created it (no applied_order, no events record).
    static let oldDDL = """
        CREATE TABLE mig_history (
            version TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL,
            execution_ms INTEGER NOT NULL, applied_by TEXT NOT NULL, git_commit TEXT,
            state TEXT NOT NULL CHECK (state IN ('applied', 'dirty')), completed_statements TEXT NOT NULL DEFAULT ''
        );
        """

    /// Two applies at the same instant (the clock's resolution, or a clock set back) still order:
    /// the one written last is reverted first, though it has the lower version.
    @Test func twoAppliesAtTheSameInstantStillOrder() throws {
        let database = try fixture.database()
        try database.ensureHistoryTable()
        let instant = Date(timeIntervalSince1970: 1_700_000_000)
        try database.recordApplied(row("0002", at: instant))
        try database.recordApplied(row("0001", at: instant))
        let applied = try database.appliedMigrations()
        #expect(applied.map { "\($0.version.text):\($0.appliedOrder ?? 0)" } == ["0001:2", "0002:1"])
        let plan = try MigrationPlanner(catalog: try fixture.catalog(), applied: applied, dialect: .sqlite).downPlan()
        #expect(plan.steps.map(\.migration.version.text) == ["0001"])
        // Rewriting a row (a resumed or resolved migration) keeps its place.
        try database.recordApplied(row("0002", at: instant.addingTimeInterval(60)))
        #expect(try database.appliedMigrations().map(\.appliedOrder) == [2, 1])
    }

    /// An out-of-order apply (an older version applied later) is reverted first.
    @Test func downRevertsAnOutOfOrderApplyFirst() throws {
        let database = try fixture.database()
        try fixture.remove("0001", "users")
        _ = try runner(database).run { try $0.upPlan() }
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER);", down: "DROP TABLE users;")
        _ = try runner(database).run { try $0.upPlan(allowOutOfOrder: true) }
        let reverted = try runner(database).run { try $0.downPlan() }
        #expect(reverted.completed.map(\.step.migration.version.text) == ["0001"])
    }

    /// A table an earlier mig wrote reads without an applied order; the next run numbers its rows by
    /// applied_at (here 0002 was applied before 0001), then version, and carries on from there.
    @Test func aHistoryTableOfAnEarlierMigIsUpgradedInPlace() throws {
        let path = fixture.scratch.url.appending(path: "app.db")
        _ = try SQLiteShell.run(
            path,
            Self.oldDDL + """
                CREATE TABLE users (id INTEGER); CREATE TABLE posts (id INTEGER);
                INSERT INTO mig_history VALUES ('0002', 'posts', 'c2', '2024-01-01T10:00:00.000Z', 1, 'old', NULL, 'applied', '');
                INSERT INTO mig_history VALUES ('0001', 'users', 'c1', '2024-01-01T11:00:00.000Z', 1, 'old', NULL, 'applied', '');
                """)
        let readOnly = try SQLiteDriver(path: path.path, access: .readOnly)
        #expect(try readOnly.appliedMigrations().map(\.appliedOrder) == [nil, nil])
        #expect(try readOnly.historyEvents().isEmpty)

        try fixture.add("0003", "tags", up: "CREATE TABLE tags (id INTEGER);", down: "DROP TABLE tags;")
        let database = try fixture.database()
        _ = try runner(database).run { try $0.upPlan(allowChanged: true) }
        #expect(
            try database.appliedMigrations().map { "\($0.version.text):\($0.appliedOrder ?? 0)" }
                == ["0001:2", "0002:1", "0003:3"])
        let reverted = try runner(database).run { try $0.downPlan(steps: 2) }
        #expect(reverted.completed.map(\.step.migration.version.text) == ["0003", "0001"])
        #expect(try database.historyEvents().map(\.kind) == [.applied, .reverted, .reverted])
    }

    /// Every change to the history is a line in the events record, which a down does not remove.
    @Test func theEventsRecordKeepsThePastAfterADown() throws {
        let database = try fixture.database()
        _ = try runner(database).run { try $0.upPlan() }
        _ = try runner(database).run { try $0.downPlan() }
        #expect(try database.appliedMigrations().map(\.version.text) == ["0001"])
        let events = try database.historyEvents()
        #expect(
            events.map { "\($0.kind.rawValue) \($0.version ?? "")" } == [
                "applied 0001", "applied 0002", "reverted 0002",
            ])
        #expect(events.map(\.id) == [1, 2, 3])
        let checksum = try fixture.catalog().migrations[1].up.checksum
        #expect(events[2].checksum == checksum && events[2].name == "posts")
        #expect(events.allSatisfy { $0.by == "tester" && $0.gitCommit == "abc123" && $0.databaseUser == nil })
        #expect(!(try database.schemaSnapshot().objects.contains { $0.name.hasPrefix("mig_") }))
    }

    @Test func baselineAndRepairAndResolveWriteEvents() throws {
        let database = try fixture.database()
        _ = try runner(database).baseline(to: Version("0001")!, dryRun: false)
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER); -- edited", down: "DROP TABLE users;")
        let old = try #require(try database.appliedMigrations().first?.checksum)
        _ = try runner(database).repairChecksums(dryRun: false)
        try fixture.add(
            "0002", "posts", up: "-- mig:no-transaction\nCREATE TABLE posts (id INTEGER);\nSELECT * FROM nowhere;")
        #expect(throws: MigrationFailure.self) { try runner(database).run(.init(rehearse: false)) { try $0.upPlan() } }
        try runner(database).resolve(Version("0002")!, as: .notApplied)
        let events = try database.historyEvents()
        #expect(events.map(\.kind) == [.baselined, .repaired, .started, .failed, .resolved])
        #expect(events[0].detail == "baseline to 0001")
        #expect(events[1].detail == "checksum re-recorded; it was \(old)")
        #expect(events[1].checksum == (try fixture.catalog().migrations[0].up.checksum))
        #expect(events[2].detail == "up started outside a transaction" && events[2].version == "0002")
        #expect(events[3].detail?.hasPrefix("up failed after 1 of 2 statement(s): no such table: nowhere") == true)
        #expect(events[4].detail == "not-applied")
        #expect(try database.appliedMigrations().map(\.version.text) == ["0001"])
    }

    /// A database that refuses events of `kind` (a trigger), so a test can make the second write of
    /// a bookkeeping pair fail.
    private func refusingEvents(_ kind: HistoryEvent.Kind, of version: String) throws -> SQLiteDriver {
        let database = try fixture.database()
        try database.ensureHistoryTable()
        try database.execute(
            sql: """
                CREATE TRIGGER refuse BEFORE INSERT ON mig_history_events WHEN NEW.event = '\(kind.rawValue)' AND NEW.version = '\(version)'
                BEGIN SELECT RAISE(ABORT, 'events of this kind are refused'); END
                """)
        return database
    }

    /// Outside a wrapping transaction the row and its event are still written together: when the
    /// event cannot be written, the row is not recorded applied either (it stays dirty, to resume).
    @Test func aRowAndItsEventAreWrittenTogetherOutsideATransaction() throws {
        try fixture.add("0002", "posts", up: "-- mig:no-transaction\nCREATE TABLE posts (id INTEGER);")
        let database = try refusingEvents(.applied, of: "0002")
        #expect(throws: MigrationFailure.self) { try runner(database).run(.init(rehearse: false)) { try $0.upPlan() } }
        let rows = try database.appliedMigrations()
        #expect(rows.map { "\($0.version.text) \($0.state.rawValue)" } == ["0001 applied", "0002 dirty"])
        #expect(try database.historyEvents().map(\.kind) == [.applied, .started, .failed])
    }

    /// A failure whose `failed` event cannot be written says so instead of passing over it.
    @Test func aFailureThatCannotBeRecordedSaysSo() throws {
        try fixture.add(
            "0002", "posts", up: "-- mig:no-transaction\nCREATE TABLE posts (id INTEGER);\nSELECT * FROM nowhere;")
        let database = try refusingEvents(.failed, of: "0002")
        let failure = try #require(throws: MigrationFailure.self) {
            try runner(database).run(.init(rehearse: false)) { try $0.upPlan() }
        }
        #expect(failure.description.contains("recording this failure in the history table and its events record failed too"))
        #expect(failure.description.contains("events of this kind are refused"))
        #expect(try database.historyEvents().map(\.kind) == [.applied, .started])
    }

    /// `resolve 2 --applied` for the dirty row `0002` settles that row: one row, its spelling, its
    /// place, and when and by whom the migration ran; the event says who resolved it.
    @Test func resolveKeepsTheDirtyRow() throws {
        try fixture.add(
            "0002", "posts", up: "-- mig:no-transaction\nCREATE TABLE posts (id INTEGER);\nSELECT * FROM nowhere;")
        let database = try fixture.database()
        #expect(throws: MigrationFailure.self) { try runner(database).run(.init(rehearse: false)) { try $0.upPlan() } }
        let dirty = try #require(try database.appliedMigrations().last)
        let resolver = RunContext(appliedBy: "operator", gitCommit: "def456", directoryPrefix: fixture.context.directoryPrefix)
        try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: resolver)
            .resolve(Version("2")!, as: .applied)
        let rows = try database.appliedMigrations()
        #expect(rows.map { "\($0.version.text) \($0.state.rawValue) \($0.appliedOrder ?? 0)" } == ["0001 applied 1", "0002 applied 2"])
        #expect(abs(rows[1].appliedAt.timeIntervalSince(dirty.appliedAt)) < 0.002)
        #expect(rows[1].appliedBy == "tester")
        #expect(rows[1].gitCommit == "abc123")
        let resolved = try #require(try database.historyEvents().last)
        #expect(resolved.kind == .resolved && resolved.by == "operator" && resolved.version == "0002")
    }

    /// Another spelling of a version replaces its row on SQLite too, keeping its place.
    @Test func anotherSpellingReplacesTheRowKeepingItsPlace() throws {
        let database = try fixture.database()
        try database.ensureHistoryTable()
        let instant = Date(timeIntervalSince1970: 1_700_000_000)
        try database.recordApplied(row("1", at: instant))
        try database.recordApplied(row("0002", at: instant))
        try database.recordApplied(row("0001", at: instant))
        #expect(
            try database.appliedMigrations().map { "\($0.version.text):\($0.appliedOrder ?? 0)" } == ["0001:1", "0002:2"])
    }

    /// Flyway applied 0002 before 0001 (out of order, in the same second): the adopted rows keep
    /// Flyway's installed_rank order, so `down` reverts 0001 first.
    @Test func adoptionKeepsTheOtherToolsOrder() throws {
        let database = try fixture.database()
        try database.execute(
            sql: """
                CREATE TABLE users (id INTEGER); CREATE TABLE posts (id INTEGER);
                CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50),
                    description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL,
                    checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL,
                    execution_time INT NOT NULL, success BOOLEAN NOT NULL);
                INSERT INTO flyway_schema_history VALUES
                    (1, '2', 'posts', 'SQL', 'V2__posts.sql', 1, 'a', '2024-01-01 00:00:00', 4, 1),
                    (2, '1', 'users', 'SQL', 'V1__users.sql', 2, 'a', '2024-01-01 00:00:00', 4, 1);
                """)
        _ = try runner(database).adopt(ForeignTableChoice(tool: .flyway), dryRun: false)
        #expect(
            try database.appliedMigrations().map { "\($0.version.text):\($0.appliedOrder ?? 0)" } == ["0001:2", "0002:1"])
        #expect(try runner(database).run(.init(rehearse: false)) { try $0.downPlan() }.completed.map(\.step.migration.version.text) == ["0001"])
    }

    /// Rows with the same applied order (a table edited by hand) order the same however they were read.
    @Test func equalAppliedOrdersStillOrderDeterministically() {
        func row(_ version: String) -> AppliedMigration {
            AppliedMigration(
                version: Version(version)!, name: "x", checksum: "c", appliedAt: Date(timeIntervalSince1970: 0),
                executionMilliseconds: 0, appliedBy: "tester", gitCommit: nil, state: .applied, appliedOrder: 1)
        }
        let ordered = AppliedMigration.inAppliedOrder([row("0002"), row("0001")]).map(\.version.text)
        #expect(ordered == ["0001", "0002"])
        #expect(AppliedMigration.inAppliedOrder([row("0001"), row("0002")]).map(\.version.text) == ordered)
    }

    /// Baseline below an applied migration would record a never-run migration as the last applied,
    /// which `down` would revert first: refused, nothing marked.
    @Test func baselineBelowAnAppliedMigrationIsRefused() throws {
        let database = try fixture.database()
        try fixture.remove("0001", "users")
        _ = try runner(database).run { try $0.upPlan() }
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER);", down: "DROP TABLE users;")
        #expect(throws: AdoptError.baselineBelowApplied(baselined: [Version("0001")!], applied: [Version("0002")!])) {
            try runner(database).baseline(to: Version("0001")!, dryRun: false)
        }
        #expect(try database.appliedMigrations().map(\.version.text) == ["0002"])
    }

    /// `mig log VERSION…` keeps the events of those versions as versions compare.
    @Test func theEventsOfVersionsMatchAsVersionsCompare() throws {
        let database = try fixture.database()
        _ = try runner(database).run { try $0.upPlan() }
        let events = try database.historyEvents()
        #expect(events.of([Version("2")!]).map(\.version) == ["0002"])
        #expect(events.of([]).count == 2)
    }
}
