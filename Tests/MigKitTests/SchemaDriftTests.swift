import Foundation
import Testing

@testable import MigKit

/// `SchemaDrift` and `SchemaRepair` on real SQLite files: a database migrated by the runner, then
/// changed by hand.
@Suite struct SchemaDriftTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try fixture.add(
            "0001", "users", up: "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT DEFAULT 'x', name TEXT);",
            down: "DROP TABLE users;")
        try fixture.add(
            "0002", "posts",
            up: "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);\nCREATE INDEX posts_title ON posts (title);",
            down: "DROP TABLE posts;")
    }

    /// The database with every migration applied.
    private func migrated() throws -> SQLiteDriver {
        let database = try fixture.database()
        _ = try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context)
            .run(.init(rehearse: false)) { try $0.upPlan() }
        return database
    }

    private func compare(_ database: SQLiteDriver) throws -> SchemaDrift.Report {
        guard
            case .compared(let report) = try SchemaDrift(replay: fixture.replay()).compare(
                database, catalog: try fixture.catalog())
        else { throw DatabaseError(message: "the replay failed") }
        return report
    }

    @Test func anUntouchedDatabaseHasNoDriftAndPendingMigrationsAreNotReplayed() throws {
        let database = try migrated()
        try fixture.add("0003", "tags", up: "CREATE TABLE tags (id INTEGER);")
        let report = try compare(database)
        #expect(report.differences.isEmpty, "\(report.differences)")
        #expect(report.replayed == ["0001_users", "0002_posts"])
        #expect(!report.hasDrift)
    }

    @Test func listsExactlyAHandMadeIndexADroppedDefaultAndANewTable() throws {
        let database = try migrated()
        try database.execute(
            sql: """
                CREATE TABLE audit (id INTEGER, note TEXT);
                CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
                INSERT INTO users_new SELECT * FROM users;
                DROP TABLE users;
                ALTER TABLE users_new RENAME TO users;
                CREATE INDEX users_email_idx ON users (email);
                """)
        let report = try compare(database)
        #expect(
            report.differences.map(\.description) == [
                "index users_email_idx: only in the database",
                "table audit: only in the database",
                "table users / column email: default 'x' in the migrations, no default in the database",
            ])
        let changed = try #require(report.differences.last)
        #expect(changed.change == .changed && changed.aspect == .default)
        #expect(changed.migrations == "'x'" && changed.database == nil)
    }

    @Test func replaysInTheOrderTheDatabaseAppliedNotVersionOrder() throws {
        // Whichever of the two runs first decides what `x` is.
        try fixture.add("0004", "x_b", up: "CREATE TABLE IF NOT EXISTS x (b INTEGER);")
        let database = try migrated()
        try fixture.add("0003", "x_a", up: "CREATE TABLE IF NOT EXISTS x (a INTEGER);")
        _ = try MigrationRunner(driver: database, catalog: try fixture.catalog(), context: fixture.context)
            .run(.init(rehearse: false)) { try $0.upPlan(allowOutOfOrder: true) }
        let report = try compare(database)
        #expect(report.replayed == ["0001_users", "0002_posts", "0004_x_b", "0003_x_a"])
        #expect(report.differences.isEmpty, "\(report.differences)")
    }

    @Test func anAppliedMigrationWithoutItsFileCannotBeCompared() throws {
        let database = try migrated()
        try fixture.remove("0002", "posts")
        #expect(throws: SchemaDrift.Failure.missingFiles(["0002_posts"])) { try compare(database) }
    }

    @Test func notesAMigrationChangedSinceItWasApplied() throws {
        let database = try migrated()
        try fixture.add(
            "0002", "posts",
            up:
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, body TEXT);\nCREATE INDEX posts_title ON posts (title);"
        )
        let report = try compare(database)
        #expect(
            report.notes == ["0002_posts changed since it was applied: the expected schema comes from today's file"])
        #expect(
            report.differences.map(\.description) == [
                "table posts / column body: only in the migrations (not in the database)"
            ])
    }

    @Test func leavesOutMigsOwnTables() throws {
        let database = try migrated()
        // `up` wrote the history, its events record and, here, an index on the events by hand.
        try database.execute(sql: "CREATE INDEX mig_history_events_version ON mig_history_events (version);")
        #expect(try compare(database).differences.isEmpty)
    }

    @Test func replaysTheRepeatablesThatRanAfterTheVersionedOnes() throws {
        let flyway = try MigrationFixture()
        try flyway.scratch.write("\(flyway.directory)/V1__users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);\n")
        try flyway.scratch.write(
            "\(flyway.directory)/R__ids.sql", "DROP VIEW IF EXISTS ids;\nCREATE VIEW ids AS SELECT id FROM users;\n")
        let database = try flyway.database()
        _ = try MigrationRunner(driver: database, catalog: try flyway.catalog(), context: flyway.context)
            .run(.init(rehearse: false)) { try $0.upPlan() }
        try flyway.scratch.write("\(flyway.directory)/R__more.sql", "CREATE VIEW more AS SELECT 1;\n")
        guard
            case .compared(let report) = try SchemaDrift(replay: flyway.replay()).compare(
                database, catalog: try flyway.catalog())
        else { throw DatabaseError(message: "the replay failed") }
        // R__more never ran on the database: it is not part of what the database should have.
        #expect(report.repeatables == ["R__ids"])
        #expect(report.differences.isEmpty, "\(report.differences)")
    }

    // MARK: - Repair

    /// Replays the applied migrations and `repair` (written as migration 0009) into a shadow, and
    /// returns the drift of `database` against that, and the shadow's schema after the repair's down.
    private func replayWithRepair(_ repair: SchemaRepair, against database: SQLiteDriver) throws
        -> (drift: [SchemaDifference], afterDown: SchemaSnapshot)
    {
        try fixture.add("0009", "repair", up: repair.up, down: repair.down)
        let migrations = try fixture.catalog().migrations
        let shadow = try SQLiteDriver.inMemory()
        let executor = MigrationStepExecutor(
            driver: shadow, context: nil, directoryPrefix: fixture.directory, inShadow: true)
        for migration in migrations { _ = try executor.perform(.apply(migration)) }
        let drift = SchemaDifference.between(
            migrations: try shadow.schemaSnapshot(), database: try database.schemaSnapshot())
        _ = try executor.perform(.revert(try #require(migrations.last)))
        return (drift, try shadow.schemaSnapshot())
    }

    private func repair(_ database: SQLiteDriver) throws -> SchemaRepair {
        var repair: SchemaRepair?
        _ = try SchemaDrift(replay: fixture.replay()).compare(database, catalog: try fixture.catalog()) {
            shadow, differences in
            repair = try SchemaRepair.make(
                differences, dialect: .sqlite, database: database, migrations: try #require(shadow as? SQLiteDriver))
        }
        return try #require(repair)
    }

    @Test func theRepairMakesTheMigrationsMatchTheDatabaseAndItsDownReverts() throws {
        let database = try migrated()
        try database.execute(
            sql: """
                CREATE INDEX users_email_idx ON users (email);
                CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT NOT NULL DEFAULT '');
                CREATE VIEW titles AS SELECT title FROM posts;
                CREATE TRIGGER audit_users AFTER INSERT ON users BEGIN INSERT INTO audit (note) VALUES ('user'); END;
                ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0;
                DROP INDEX posts_title;
                """)
        let repair = try repair(database)
        #expect(repair.todos.isEmpty, "\(repair.todos)")
        #expect(repair.up.contains("CREATE INDEX IF NOT EXISTS users_email_idx ON users (email);"), "\(repair.up)")
        #expect(
            repair.up.contains("ALTER TABLE \"users\" ADD COLUMN \"age\" integer DEFAULT 0 NOT NULL;"), "\(repair.up)")
        #expect(repair.up.contains("DROP INDEX IF EXISTS \"posts_title\";"), "\(repair.up)")
        #expect(repair.down.contains("CREATE INDEX IF NOT EXISTS posts_title ON posts (title);"), "\(repair.down)")
        let migrationsSchema = try fixture.replay().run(
            try fixture.catalog().migrations, roundtrip: false, capturingSchema: true
        ).schema
        let (drift, afterDown) = try replayWithRepair(repair, against: database)
        #expect(drift.isEmpty, "\(drift)")
        #expect(afterDown == migrationsSchema)
    }

    @Test func whatCannotBeExpressedSafelyBecomesATodo() throws {
        let database = try migrated()
        try database.execute(
            sql: """
                CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT);
                INSERT INTO users_new SELECT id, email FROM users;
                DROP TABLE users;
                ALTER TABLE users_new RENAME TO users;
                """)
        let repair = try repair(database)
        #expect(
            repair.todos.map { $0.prefix { $0 != ":" } } == ["table users / column email", "table users / column name"])
        #expect(
            repair.up.contains(
                "-- TODO: table users / column name: only in the migrations (not in the database): dropping the column loses its data"
            ), "\(repair.up)")
        #expect(repair.up.contains("--   ALTER TABLE \"users\" DROP COLUMN \"name\";"), "\(repair.up)")
        #expect(
            repair.up.contains(
                "-- TODO: table users / column email: default 'x' in the migrations, no default in the database: SQLite cannot change this in place"
            ))
        // Nothing outside the comments: the file is a valid no-op until a person writes the rest.
        let statements = repair.up.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.isEmpty }
        #expect(statements.isEmpty, "\(statements)")
    }
}
