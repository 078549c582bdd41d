import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// `mig up` on PostgreSQL next to production traffic: the rehearsal runs on a copy of the schema in a
/// shadow server and takes no lock on the database beyond its schema dump; each migration then waits
/// for a lock no longer than `lock_timeout`, is rolled back and retried a bounded number of times,
/// and other sessions keep working.
@Suite(.postgres) struct PostgresRehearsalTests {
    let fixture: MigrationFixture
    let database: PostgresTestDatabase

    init() throws {
        fixture = try MigrationFixture()
        database = try PostgresTestDatabase()
        try fixture.add("0001", "tables", up: "CREATE TABLE busy (id integer);\nCREATE TABLE other (id integer);")
        _ = try run(.init(rehearse: false))
    }

    private func run(
        _ options: MigrationRunner.Options = .init(), settings: Configuration.Database = Configuration.Database(),
        allowChanged: Bool = false, progress: (MigrationRunner.Event) -> Void = { _ in }
    ) throws -> RunReport {
        let driver = try PostgresDriver(url: database.url, settings: settings)
        return try MigrationRunner(
            driver: driver, catalog: try fixture.catalog(), context: fixture.context,
            rehearsalSource: try PostgresRehearsalSource.onTestServer(settings: settings)
        ).run(options, progress: progress) {
            try $0.upPlan(allowChanged: allowChanged)
        }
    }

    private func history() throws -> [String] {
        try database.query("SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM mig_history")
    }

    /// A session of its own that holds `ACCESS EXCLUSIVE` on `table` until released.
    private func holdLock(on table: String) throws -> PostgresConnection {
        let holder = try PostgresConnection(url: database.url, connectTimeout: 5)
        try holder.execute("BEGIN; LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE;")
        return holder
    }

    // MARK: - The rehearsal

    /// The shadow server runs on this machine as its superuser: a `COPY` from a program would run
    /// the program here, in a dry run too. Such a script is never rehearsed.
    @Test func aCopyFromAProgramIsNeverRunByTheRehearsal() throws {
        let marker = FileManager.default.temporaryDirectory.appending(path: "mig-copy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        try fixture.add("0002", "imported", up: "COPY busy FROM PROGRAM 'touch \(marker)';")
        let report = try run(.init(dryRun: true))
        #expect(report.unrehearsed.map(\.migration) == ["0002_imported"])
        #expect(report.unrehearsed.first?.reason.contains("COPY, line 2") == true, "\(report.unrehearsed)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// The rehearsal's kept cluster stops on another thread while the real run goes on; the same
    /// run asking for the kept cluster again right after (the schema file's refresh after
    /// `mig up`) waits for that stop and gets the cluster, not a throw-away one said to be another
    /// run's.
    @Test func theSameRunGetsTheKeptClusterAgainRightAfterItsRehearsal() throws {
        try fixture.add("0002", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        let folder = fixture.scratch.url.appending(path: ".migrate/cache/postgres")
        let settings = Configuration.Database()
        let source = PostgresRehearsalSource(settings: settings) { majorVersion in
            try PostgresShadowServer(
                url: nil, settings: settings, majorVersion: majorVersion, keptClusterFolder: folder, announce: {})
        }
        var notes: [String] = []
        let report = try MigrationRunner(
            driver: try PostgresDriver(url: database.url, settings: settings), catalog: try fixture.catalog(),
            context: fixture.context, rehearsalSource: source
        ).run(.init(dryRun: true)) {
            if case .rehearsalNote(let note) = $0 { notes.append(note) }
        } plan: {
            try $0.upPlan(allowChanged: false)
        }
        #expect(report.rehearsed)
        #expect(notes.isEmpty, "\(notes)")
        #expect(FileManager.default.fileExists(atPath: folder.appending(path: "data/PG_VERSION").path))
        let (again, note) = try PostgresPrivateCluster.kept(in: folder)
        #expect(note == nil)
        #expect(again.isKept)
        withExtendedLifetime(source) {}
    }

    /// The old rehearsal ran the plan on the database itself and waited for the lock (then failed); the
    /// copy waits only for the schema dump, at most `lock_timeout`, and is then rebuilt from the
    /// applied migrations instead.
    @Test func aLockedTableDelaysTheRehearsalOnlyByTheDumpsBoundedWait() throws {
        try fixture.add("0002", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        let holder = try holdLock(on: "busy")
        var settings = Configuration.Database()
        settings.lockTimeout = "1s"
        var notes: [String] = []
        let started = Date()
        let report = try run(.init(dryRun: true), settings: settings) {
            if case .rehearsalNote(let note) = $0 { notes.append(note) }
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(report.rehearsed && report.unrehearsed.isEmpty)
        #expect(seconds >= 0.9 && seconds < 8, "took \(seconds) s")
        #expect(notes.count == 1)
        #expect(notes.first?.hasPrefix("the rehearsal copy is rebuilt from the applied migrations") == true)
        #expect(notes.first?.contains("pg_dump 15 failed") == true)
        // What pg_dump said is shown, never the password.
        let password = try PostgresTestServer.password()
        #expect(!notes.contains { $0.contains(password) })
        // The holder's transaction was never disturbed.
        #expect(try holder.execute("SELECT count(*) FROM busy").value(row: 0, column: 0) == "0")
        try holder.endTransaction("ROLLBACK")
        #expect(
            try database.query(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'busy'::regclass AND attname = 'name'") == ["0"])
    }

    @Test func aCopyThatCannotBeMadeStopsTheRunWithAWayOut() throws {
        try fixture.add("0002", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        _ = try run(.init(rehearse: false))
        // The applied 0002 no longer replays (it was edited), and the dump waits for a lock.
        try fixture.add("0002", "column", up: "ALTER TABLE nowhere ADD COLUMN name text;")
        try fixture.add("0003", "more", up: "CREATE TABLE more (id integer);")
        let holder = try holdLock(on: "other")
        var settings = Configuration.Database()
        settings.lockTimeout = "500ms"
        let error = try #require(throws: DatabaseError.self) { try run(settings: settings, allowChanged: true) }
        #expect(
            error.message.hasPrefix("cannot make the rehearsal copy of the database: its schema could not be copied"))
        #expect(error.message.contains("relation \"nowhere\" does not exist"))
        #expect(error.hint?.contains("--no-shadow") == true)
        try holder.endTransaction("ROLLBACK")
        #expect(try history() == ["0001:applied,0002:applied"])
        #expect(try database.query("SELECT to_regclass('more') IS NULL") == ["t"])
    }

    /// pg_dump and psql get the connection through the environment and a password file: a password
    /// never appears in a command line another user could read.
    @Test func thePasswordIsNeverOnACommandLine() throws {
        let password = try PostgresTestServer.password()
        try #require(!password.isEmpty && database.url.contains(password))
        try fixture.add("0002", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        let watcher = CommandLineWatcher()
        watcher.start()
        _ = try run(.init(dryRun: true))
        // Other tests running beside this one start psql with a URL of their own: only mig's count.
        let seen = watcher.stop().filter { $0.contains("--schema-only") || $0.hasSuffix("/schema.sql ") }
        #expect(seen.contains { $0.contains("pg_dump") }, "\(seen)")
        #expect(seen.contains { $0.contains("psql") && $0.contains("ON_ERROR_STOP=1") }, "\(seen)")
        #expect(!seen.contains { $0.contains(password) })
    }

    /// The rehearsal runs steps in shared transactions on the copy; a value added to an enum cannot be
    /// used in the transaction that added it, so the shared transaction fails where the real run,
    /// one transaction per migration, does not: its steps are rehearsed again one by one.
    @Test func aStepThatFailsOnlyInASharedTransactionRehearsesAsItRuns() throws {
        try fixture.add("0002", "mood", up: "CREATE TYPE mood AS ENUM ('sad');")
        try fixture.add("0003", "happy", up: "ALTER TYPE mood ADD VALUE 'happy';")
        try fixture.add("0004", "feelings", up: "CREATE TABLE feelings (m mood DEFAULT 'happy');")
        let report = try run()
        #expect(report.rehearsed && report.unrehearsed.isEmpty)
        #expect(report.completed.count == 3)
        #expect(try history() == ["0001:applied,0002:applied,0003:applied,0004:applied"])
    }

    /// A row that breaks a deferred foreign key fails its migration at that migration's commit; the
    /// rehearsal, sharing one transaction between steps, checks deferred constraints after each step,
    /// so it fails at the same migration and the database is never touched.
    @Test func aDeferredConstraintFailsTheRehearsalAtTheStepThatBrokeIt() throws {
        try fixture.add(
            "0002", "tables",
            up: "CREATE TABLE parent (id integer PRIMARY KEY);\n"
                + "CREATE TABLE child (parent_id integer REFERENCES parent DEFERRABLE INITIALLY DEFERRED);")
        try fixture.add("0003", "orphan", up: "INSERT INTO child VALUES (1);")
        try fixture.add("0004", "parent", up: "INSERT INTO parent VALUES (1);")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.inShadow)
        #expect(failure.migration.hasPrefix("0003"), "\(failure)")
        #expect(failure.message.contains("foreign key"), "\(failure)")
        #expect(try history() == ["0001:applied"])
        #expect(try database.query("SELECT to_regclass('parent') IS NULL") == ["t"])
    }

    /// A step that fails in a shared transaction runs again alone on a reset session: what it
    /// prepared before failing (which a rollback keeps) is not there to fail it for another reason.
    @Test func aStepRehearsedAgainAloneStartsFromAResetSession() throws {
        try fixture.add("0002", "prepares", up: "PREPARE p AS SELECT 1;\nSELECT * FROM nowhere;")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.inShadow)
        #expect(failure.migration.hasPrefix("0002"), "\(failure)")
        #expect(failure.message.contains("nowhere"), "\(failure)")
        #expect(try history() == ["0001:applied"])
    }

    /// At a migration's commit its deferred triggers run after the session reset; the rehearsal's
    /// check of deferred constraints between shared steps comes after the reset too, so a trigger
    /// that only works with the migration's own `search_path` fails the rehearsal, as it fails the run.
    @Test func deferredTriggersAreCheckedOnTheResetSessionAsAtCommit() throws {
        try fixture.add(
            "0002", "audit",
            up: """
                CREATE SCHEMA app;
                CREATE TABLE app.audit (n integer);
                CREATE TABLE watched (id integer);
                CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO audit VALUES (1); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER audited AFTER INSERT ON watched DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION audit_row();
                """)
        try fixture.add("0003", "insert", up: "SET search_path = app, public;\nINSERT INTO public.watched VALUES (1);")
        try fixture.add("0004", "later", up: "CREATE TABLE later (id integer);")
        let failure = try #require(throws: MigrationFailure.self) { try run() }
        #expect(failure.inShadow, "\(failure)")
        #expect(failure.migration.hasPrefix("0003"), "\(failure)")
        #expect(failure.message.contains("audit"), "\(failure)")
        #expect(try history() == ["0001:applied"])
    }

    // MARK: - Locks while applying

    @Test func aMigrationWhoseLockIsNotGrantedIsRetriedABoundedNumberOfTimes() throws {
        try fixture.add("0002", "first", up: "CREATE TABLE first (id integer);")
        try fixture.add("0003", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        let holder = try holdLock(on: "busy")
        var settings = Configuration.Database()
        settings.lockTimeout = "300ms"
        var retries: [Int] = []
        let started = Date()
        let failure = try #require(throws: MigrationFailure.self) {
            try run(.init(rehearse: false, lockRetries: 2, retryPause: .milliseconds(100)), settings: settings) {
                if case .retrying(_, let retry, let count, _, let reason) = $0 {
                    #expect(count == 2)
                    #expect(reason.contains("canceling statement due to lock timeout (55P03)"))
                    retries.append(retry)
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        try holder.endTransaction("ROLLBACK")
        #expect(retries == [1, 2])
        #expect(failure.consequence == .lockNotGranted(attempts: 3, earlier: 1))
        #expect(failure.description.contains("nothing of this migration was applied"))
        #expect(failure.description.contains("the 1 migration(s) this run applied before it stay applied"))
        // Three waits of 300 ms and pauses of 100 and 200 ms, loosely.
        #expect(seconds >= 1.1 && seconds < 6, "took \(seconds) s")
        #expect(try history() == ["0001:applied,0002:applied"])
    }

    @Test func aRetrySucceedsOnceTheLockIsFreed() throws {
        try fixture.add("0002", "column", up: "ALTER TABLE busy ADD COLUMN name text;")
        try fixture.add("0003", "after", up: "CREATE TABLE after_retry (id integer);")
        let holder = try holdLock(on: "busy")
        let release = DispatchWorkItem { _ = try? holder.endTransaction("ROLLBACK") }
        DispatchQueue.global().asyncAfter(deadline: .now() + 1, execute: release)
        var settings = Configuration.Database()
        settings.lockTimeout = "300ms"
        var retries = 0
        let report = try run(
            .init(rehearse: false, lockRetries: 10, retryPause: .milliseconds(100)), settings: settings
        ) {
            if case .retrying = $0 { retries += 1 }
        }
        release.wait()
        #expect(report.completed.count == 2)
        #expect(retries >= 1)
        #expect(try history() == ["0001:applied,0002:applied,0003:applied"])
        // The rolled-back attempts took no place in the applied order, and left no event.
        #expect(
            try database.query("SELECT string_agg(version || ':' || applied_order, ',' ORDER BY version) FROM mig_history")
                == ["0001:1,0002:2,0003:3"])
        #expect(
            try database.query("SELECT string_agg(version || ':' || event, ',' ORDER BY id) FROM mig_history_events")
                == ["0001:applied,0002:applied,0003:applied"])
    }

    /// During `up`, a session working on a table no migration touches is never blocked, and one reading
    /// a table the migrations alter waits at most for one migration, not for the whole plan.
    @Test func trafficKeepsFlowingDuringUp() throws {
        for index in 2...9 {
            try fixture.add(
                String(format: "%04d", index), "column\(index)",
                up: "ALTER TABLE busy ADD COLUMN c\(index) integer;\nSELECT pg_sleep(0.15);")
        }
        let traffic = Traffic(url: database.url)
        traffic.start()
        let started = Date()
        let report = try run()
        let seconds = Date().timeIntervalSince(started)
        let (other, busy, failures) = traffic.stop()
        #expect(report.completed.count == 8)
        #expect(seconds > 1.2)
        #expect(failures.isEmpty, "\(failures)")
        #expect(other.count > 10 && busy.count > 3)
        // Loose bounds: a migration holds its lock about 0.15 s; the plan takes more than 1.2 s.
        #expect((other.max() ?? 0) < 0.5, "\(other.max() ?? 0) s")
        #expect((busy.max() ?? 0) < 0.9, "\(busy.max() ?? 0) s")
    }
}

/// Reads and writes `other` and reads `busy` in a loop on a session of its own, timing each statement.
private final class Traffic: @unchecked Sendable {
    private let url: String
    private let lock = NSLock()
    private var running = true
    private var other: [Double] = []
    private var busy: [Double] = []
    private var failures: [String] = []
    private let done = DispatchSemaphore(value: 0)

    init(url: String) { self.url = url }

    func start() {
        Thread { [self] in
            defer { done.signal() }
            do {
                let connection = try PostgresConnection(url: url, connectTimeout: 5)
                try connection.execute("SET lock_timeout = '5s'")
                while lock.withLock({ running }) {
                    for (sql, table) in [
                        ("INSERT INTO other VALUES (1); SELECT count(*) FROM other", "other"),
                        ("SELECT count(*) FROM busy", "busy"),
                    ] {
                        let started = Date()
                        try connection.execute(sql)
                        let seconds = Date().timeIntervalSince(started)
                        lock.withLock { table == "other" ? other.append(seconds) : busy.append(seconds) }
                    }
                    usleep(20_000)
                }
            } catch {
                lock.withLock { failures.append("\(error)") }
            }
        }.start()
    }

    func stop() -> (other: [Double], busy: [Double], failures: [String]) {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { (other, busy, failures) }
    }
}

/// Collects the command lines of this process's children while it runs.
private final class CommandLineWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var seen: Set<String> = []
    private let done = DispatchSemaphore(value: 0)

    func start() {
        let parent = getpid()
        Thread { [self] in
            defer { done.signal() }
            while lock.withLock({ running }) {
                for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                    guard Int32(entry) != nil,
                        let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                        let close = stat.lastIndex(of: ")"),
                        stat[stat.index(after: close)...].split(separator: " ").dropFirst(1).first == "\(parent)",
                        let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
                    else { continue }
                    let line = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
                    lock.withLock { _ = seen.insert(line) }
                }
                usleep(1_000)
            }
        }.start()
    }

    func stop() -> Set<String> {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { seen }
    }
}
