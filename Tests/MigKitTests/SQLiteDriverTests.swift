import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct SQLiteDriverTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func catalog() throws -> Catalog {
        try CatalogLoader().load(from: DirectorySource(directory: scratch.url.appending(path: "m"), displayPrefix: "m"))
    }

    @Test func parsesDatabaseURLs() throws {
        let root = URL(fileURLWithPath: "/project")
        #expect(try DatabaseLocation("sqlite:db/dev.db", root: root) == .sqlite(path: "/project/db/dev.db"))
        #expect(try DatabaseLocation("sqlite://db/dev.db", root: root) == .sqlite(path: "/project/db/dev.db"))
        #expect(try DatabaseLocation("sqlite:///tmp/x.db", root: root) == .sqlite(path: "/tmp/x.db"))
        #expect(try DatabaseLocation("sqlite::memory:", root: root) == .sqlite(path: nil))
        #expect(throws: DatabaseError.self) { try DatabaseLocation("mysql://x", root: root) }
        #expect(DatabaseLocation.redacted("postgres://me:secret@host/db") == "postgres://me:***@host/db")
    }

    @Test func reportsTheFileLineOfTheFailingStatement() throws {
        try scratch.write(
            "m/0001_three.up.sql",
            """
            -- first a comment; with a semicolon
            CREATE TABLE a (id INTEGER);
            CREATE TRIGGER t AFTER INSERT ON a BEGIN
              INSERT INTO a VALUES (1); SELECT ';';
            END;

            /* a block
               comment */ INSERT INTO a VALUES ('it''s;'); CREAT TABLE b (id INTEGER);
            """)
        let migration = try #require(try catalog().migrations.first)
        let driver = try SQLiteDriver.inMemory()
        let error = try #require(throws: DatabaseError.self) { try driver.execute(migration.up) }
        #expect(error.path == "0001_three.up.sql")
        #expect(error.line == 8)
        #expect(error.message.contains("syntax error"))
    }

    @Test func countsLinesFromTheUpSectionOfASectionsFile() throws {
        try scratch.write(
            "m/0001_sections.sql",
            """
            -- a header comment
            -- mig:up
            CREATE TABLE a (id INTEGER);
            CREATE TABLE b (id INTEGER);

            CREATE TABLE c (id INTEGER) oops;
            -- mig:down
            DROP TABLE a;
            """)
        let migration = try #require(try catalog().migrations.first)
        let error = try #require(throws: DatabaseError.self) { try SQLiteDriver.inMemory().execute(migration.up) }
        #expect(error.line == 6)
        #expect(error.path == "0001_sections.sql")
    }

    @Test func keepsTheHistoryWithBoundValuesAndAQuotedTableName() throws {
        let path = scratch.url.appending(path: "h.db").path
        let driver = try SQLiteDriver(path: path, historyTable: "odd \"history\"")
        try driver.ensureHistoryTable()
        let record = AppliedMigration(
            version: Version("0002")!, name: "it's", checksum: "abc",
            appliedAt: Date(timeIntervalSince1970: 1_700_000_000.5),
            executionMilliseconds: 12, appliedBy: "O'Brien", gitCommit: nil, state: .applied)
        try driver.recordApplied(record)
        let read = try #require(try driver.appliedMigrations().first)
        #expect(read.appliedOrder == 1)
        #expect(
            read
                == AppliedMigration(
                    version: record.version, name: record.name, checksum: record.checksum, appliedAt: record.appliedAt,
                    executionMilliseconds: 12, appliedBy: record.appliedBy, gitCommit: nil, state: .applied,
                    appliedOrder: 1))
        #expect(try driver.schemaSnapshot().isEmpty, "the history table and its events record are not part of the schema")
        try driver.removeAppliedRecord(version: Version("2")!)
        #expect(try driver.appliedMigrations().isEmpty, "0002 in the table is version 2")
    }

    @Test func snapshotIgnoresLayoutButNotMeaning() throws {
        let tidy = try SQLiteDriver.inMemory()
        try tidy.execute(
            sql: """
                CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', p INTEGER REFERENCES t (id));
                CREATE UNIQUE INDEX t_name ON t (name DESC) WHERE name <> 'y';
                CREATE VIEW v AS SELECT name FROM t;
                """)
        let messy = try SQLiteDriver.inMemory()
        try messy.execute(
            sql: """
                create table t (
                  id integer primary key,
                  name text not null default 'x',
                  p integer references t(id)
                );
                create unique index t_name on t(name desc) where name <> 'y';
                create view v as
                  select name   -- the name
                  from t;
                """)
        #expect(try tidy.schemaSnapshot() == messy.schemaSnapshot())
        try messy.execute(sql: "ALTER TABLE t ADD COLUMN extra TEXT")
        let difference = try tidy.schemaSnapshot().difference(to: messy.schemaSnapshot())
        #expect(difference == ["  table t", "+     column extra text"])
    }

    @Test func waitsForAnotherRunsLockNoLongerThanLockWait() throws {
        let path = scratch.url.appending(path: "locked.db").path
        let holder = try SQLiteDriver(path: path)
        try holder.acquireMigrationLock()
        let waiter = try SQLiteDriver(path: path, lockWait: .milliseconds(300))
        let clock = ContinuousClock()
        let started = clock.now
        let error = try #require(throws: DatabaseError.self) { try waiter.acquireMigrationLock() }
        #expect(clock.now - started >= .milliseconds(300))
        #expect(clock.now - started < .seconds(60), "bounded by lock_wait, not by a fixed wait")
        #expect(error.message.contains("lock_wait"), "\(error.message)")
        try holder.releaseMigrationLock()
        try waiter.acquireMigrationLock()
    }

    @Test func refusesACorruptFileWithoutChangingIt() throws {
        let file = try scratch.write("corrupt.db", String(repeating: "this is not a database\n", count: 300))
        let before = try Data(contentsOf: file)
        let error = try #require(throws: DatabaseError.self) { try SQLiteDriver(path: file.path) }
        #expect(error.message.contains("cannot be read as a SQLite database"))
        #expect(error.message.contains("file is not a database"))
        #expect(try Data(contentsOf: file) == before)
        #expect(!scratch.exists("corrupt.db.lock"))
    }

    @Test func refusesToWriteAReadOnlyFile() throws {
        let path = scratch.url.appending(path: "ro.db").path
        try SQLiteDriver(path: path).execute(sql: "CREATE TABLE t (id INTEGER)")
        try scratch.makeReadOnly("ro.db")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = try #require(throws: DatabaseError.self) { try SQLiteDriver(path: path) }
        #expect(error.message.contains("is read-only"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!scratch.exists("ro.db.lock"))
        // Reading still works.
        #expect(try SQLiteDriver(path: path, access: .readOnly).schemaSnapshot().objects.map(\.name) == ["t"])
    }

    @Test func readOnlyAccessToAMissingFileCreatesNothing() throws {
        let path = scratch.url.appending(path: "missing.db").path
        let driver = try SQLiteDriver(path: path, access: .readOnly)
        #expect(try driver.appliedMigrations().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func shadowCopyHoldsTheDataButIsIndependent() throws {
        let driver = try SQLiteDriver(path: scratch.url.appending(path: "c.db").path)
        try driver.execute(sql: "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);")
        let copy = try driver.makeShadowCopy()
        try copy.execute(sql: "DROP TABLE t")
        #expect(try copy.schemaSnapshot().isEmpty)
        #expect(try driver.schemaSnapshot().objects.map(\.name) == ["t"])
    }

    /// A statement of a no-transaction migration and the history row that counts it done commit
    /// together: when the row cannot be written, the statement is undone.
    @Test func aNoTransactionStatementCommitsWithItsHistoryRow() throws {
        let driver = try SQLiteDriver(path: scratch.url.appending(path: "n.db").path)
        let script = Script(path: "0001_t.sql", startLine: 1, sql: "CREATE TABLE t (x INTEGER);")
        let record = AppliedMigration(
            version: Version("1")!, name: "t", checksum: script.checksum, appliedAt: Date(), executionMilliseconds: 0,
            appliedBy: "me", gitCommit: nil, state: .dirty)
        // No history table yet: writing the row fails.
        #expect(throws: (any Error).self) {
            try driver.execute(try Dialect.sqlite.reader.read(script.sql).statements[0], of: script, thenRecord: record)
        }
        #expect(try driver.schemaSnapshot().isEmpty)
        try driver.ensureHistoryTable()
        try driver.execute(try Dialect.sqlite.reader.read(script.sql).statements[0], of: script, thenRecord: record)
        #expect(try driver.schemaSnapshot().objects.map(\.name) == ["t"])
        #expect(try driver.appliedMigrations().map(\.state) == [.dirty])
    }

    /// The rehearsal copy: a file of its own in a temporary folder (memory bounded whatever the
    /// database's size), with what the WAL holds, gone when dropped; the real file is untouched.
    @Test func shadowCopyIsATemporaryFileThatLeavesTheDatabaseUntouched() throws {
        let url = scratch.url.appending(path: "w.db")
        let driver = try SQLiteDriver(path: url.path)
        try driver.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);")
        let files = [url, URL(fileURLWithPath: url.path + "-wal")]
        let before = try files.map { try Data(contentsOf: $0) }
        let folder = try rehearse(on: driver)
        #expect(!folder.hasPrefix(scratch.url.path))
        #expect(!FileManager.default.fileExists(atPath: folder), "the copy's folder is removed with the copy")
        #expect(try files.map { try Data(contentsOf: $0) } == before)
        #expect(try driver.schemaSnapshot().objects.map(\.name) == ["t"])
    }

    /// Changes a shadow copy of `driver`, checks it has the data, drops it; returns the copy's folder.
    private func rehearse(on driver: SQLiteDriver) throws -> String {
        let copy = try #require(try driver.makeShadowCopy() as? SQLiteDriver)
        let path = try #require(copy.path)
        try copy.execute(sql: "INSERT INTO t VALUES (2); CREATE TABLE u (x INTEGER);")
        #expect(try copy.schemaSnapshot().objects.map(\.name) == ["t", "u"])
        return (path as NSString).deletingLastPathComponent
    }
}
