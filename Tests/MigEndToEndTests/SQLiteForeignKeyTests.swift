import Foundation
import MigTestSupport
import Testing

/// Foreign keys on SQLite as the `sqlite3` shell has them: never enforced or cascaded unless the
/// migration asks, and SQLite's table-rebuild recipe run as SQLite documents it.
@Suite struct SQLiteForeignKeyTests {
    let scratch: ScratchDirectory
    static let parentAndChildren = """
        CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE);
        INSERT INTO p VALUES (1, 'one'), (2, 'two');
        INSERT INTO c VALUES (1, 1), (2, 1), (3, 2);
        """

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"m\"\n")
        try scratch.write("m/0001_tables.sql", "-- mig:up\n\(Self.parentAndChildren)\n")
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"])
    }

    /// Applies 0001, then 0002 with `mig up` (and `options`); and both, file by file, with the
    /// `sqlite3` shell into a second database.
    private func applyBothWays(_ up: String, options: [String] = []) throws -> (mig: MigProcess.Result, shell: URL) {
        #expect(try mig("up").status == 0)
        try scratch.write("m/0002_change.sql", "-- mig:up\n\(up)\n")
        let shell = scratch.url.appending(path: "shell.db")
        try SQLiteShell.run(shell, Self.parentAndChildren)
        try SQLiteShell.run(shell, up)
        let result = try MigProcess.run(
            ["up"] + options, in: scratch.url, environment: ["MIG_DATABASE_URL": "sqlite:app.db"])
        return (result, shell)
    }

    private var database: URL { scratch.url.appending(path: "app.db") }

    @Test func theTableRebuildRecipeKeepsTheChildRowsAsTheShellDoes() throws {
        let (result, shell) = try applyBothWays(
            """
            PRAGMA foreign_keys = OFF;
            CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
            INSERT INTO p_new SELECT id, coalesce(name, '') FROM p;
            DROP TABLE p;
            ALTER TABLE p_new RENAME TO p;
            PRAGMA foreign_keys = ON;
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try SQLiteShell.run(shell, "SELECT count(*) FROM c") == "3")
        #expect(try SQLiteShell.run(database, "SELECT count(*) FROM c") == "3")
        #expect(try SQLiteShell.dump(database) == SQLiteShell.dump(shell))
        #expect(try SQLiteShell.run(database, "SELECT group_concat(version) FROM mig_history") == "0001,0002")
    }

    @Test func aMigrationThatDoesNotAskForForeignKeysDoesNotCascade() throws {
        let (result, shell) = try applyBothWays("DELETE FROM p WHERE id = 1;")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try SQLiteShell.dump(database) == SQLiteShell.dump(shell))
        #expect(try SQLiteShell.run(database, "SELECT count(*) FROM c") == "3")
    }

    @Test(arguments: [[], ["--no-shadow"]])
    func aRebuildThatLeavesDanglingReferencesIsRolledBackWithTheViolations(options: [String]) throws {
        let (result, _) = try applyBothWays(
            """
            PRAGMA foreign_keys = OFF;
            CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT);
            INSERT INTO p_new SELECT * FROM p WHERE id = 1;
            DROP TABLE p;
            ALTER TABLE p_new RENAME TO p;
            PRAGMA foreign_keys = ON;
            """, options: options)
        #expect(result.status == 1)
        #expect(result.stderr.contains("m/0002_change.sql"), "\(result.stderr)")
        #expect(result.stderr.contains("1 foreign key violation(s): c row 3 references a missing row of p"))
        #expect(try SQLiteShell.run(database, "SELECT count(*) FROM p; SELECT count(*) FROM c") == "2\n3")
        #expect(try SQLiteShell.run(database, "SELECT group_concat(version) FROM mig_history") == "0001")
        #expect(try SQLiteShell.run(database, "SELECT sql FROM sqlite_schema WHERE name = 'p_new'") == "")
    }
}
