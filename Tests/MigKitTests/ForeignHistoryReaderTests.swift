import Foundation
import Testing

@testable import MigKit

/// Each tool's history table read as that tool reads it, from a real SQLite database.
@Suite struct ForeignHistoryReaderTests {
    let database: SQLiteDriver

    init() throws {
        database = try SQLiteDriver.inMemory()
    }

    private func read(_ tool: ForeignTool) throws -> ForeignHistory {
        try ForeignHistoryReader(reader: database, tool: tool, table: tool.defaultTable).read()
    }

    private func summary(_ history: ForeignHistory) -> [String] {
        history.entries.map { "\($0.version):\($0.state.rawValue)" }
    }

    @Test func gooseTheLatestRowOfAVersionDecidesAndVersionZeroIsBootstrap() throws {
        try database.execute(
            sql: """
                CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL,
                    is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
                INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (2, 0), (3, 1), (3, 0), (3, 1);
                """)
        #expect(summary(try read(.goose)) == ["1:applied", "3:applied"])
    }

    @Test func golangMigrateKeepsOneRow() throws {
        try database.execute(
            sql:
                "CREATE TABLE schema_migrations (version uint64, dirty bool); INSERT INTO schema_migrations VALUES (-1, 1);"
        )
        let failedRevert = try read(.golangMigrate)
        #expect(failedRevert.entries.isEmpty && failedRevert.coversUpTo == nil)
        #expect(failedRevert.notes.first?.contains("version -1, dirty") == true)
        try database.execute(sql: "INSERT INTO schema_migrations VALUES (3, 0);")
        #expect(throws: AdoptError.unexpectedRows(table: "schema_migrations", count: 2)) { try read(.golangMigrate) }
    }

    @Test func flywayAttemptsUndoesBaselinesAndRepeatables() throws {
        try database.execute(
            sql: """
                CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50),
                    description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL,
                    checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TEXT NOT NULL,
                    execution_time INT NOT NULL, success BOOLEAN NOT NULL);
                INSERT INTO flyway_schema_history VALUES
                    (1, '0', '<< Flyway Schema Creation >>', 'SCHEMA', '"public"', NULL, 'a', '2024-01-01 00:00:00', 0, 1),
                    (2, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'a', '2024-01-01 00:00:00', 0, 1),
                    (3, '1.1', 'a', 'SQL', 'V1_1__a.sql', 1, 'a', '2024-01-01 00:00:01', 4, 1),
                    (4, '1.2', 'b', 'SQL', 'V1_2__b.sql', 2, 'a', '2024-01-01 00:00:02', 4, 1),
                    (5, '1.2', 'b', 'UNDO_SQL', 'U1_2__b.sql', 3, 'a', '2024-01-01 00:00:03', 4, 1),
                    (6, '2', 'c', 'SQL', 'V2__c.sql', 4, 'a', '2024-01-01 00:00:04', 4, 0),
                    (7, NULL, 'views', 'SQL', 'R__views.sql', 5, 'a', '2024-01-01 00:00:05', 4, 1);
                """)
        let history = try read(.flyway)
        #expect(summary(history) == ["1.1:applied", "2:failed"])
        #expect(history.coversUpTo == "1")
        #expect(history.entries[0].appliedAt == Date(timeIntervalSince1970: 1_704_067_201))
        #expect(history.entries[0].executionMilliseconds == 4 && history.entries[0].appliedBy == "a")
        #expect(history.notes.count == 1 && history.notes[0].contains("R__views.sql"))
    }

    @Test func prismaFinishedRolledBackAndFailedAttempts() throws {
        try database.execute(
            sql: """
                CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, checksum TEXT NOT NULL, finished_at DATETIME,
                    migration_name TEXT NOT NULL, logs TEXT, rolled_back_at DATETIME,
                    started_at DATETIME NOT NULL DEFAULT current_timestamp, applied_steps_count INTEGER NOT NULL DEFAULT 0);
                INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, rolled_back_at, started_at) VALUES
                    ('a', 'x', '2024-01-01 00:00:01', '20240101000000_init', NULL, '2024-01-01 00:00:00'),
                    ('b', 'x', NULL, '20240102000000_posts', '2024-01-02 00:00:05', '2024-01-02 00:00:00'),
                    ('c', 'x', '2024-01-02 00:01:01', '20240102000000_posts', NULL, '2024-01-02 00:01:00'),
                    ('d', 'x', NULL, '20240103000000_tags', NULL, '2024-01-03 00:00:00'),
                    ('e', 'x', NULL, '20240104000000_gone', '2024-01-04 00:00:01', '2024-01-04 00:00:00');
                """)
        let history = try read(.prisma)
        #expect(summary(history) == ["20240101000000:applied", "20240102000000:applied", "20240103000000:failed"])
        #expect(history.entries.map(\.name) == ["init", "posts", "tags"])
    }

    @Test func sqlxSuccessAndNanoseconds() throws {
        try database.execute(
            sql: """
                CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
                    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
                    checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
                INSERT INTO _sqlx_migrations VALUES (1, 'init', '2024-01-01 00:00:00', 1, x'00', 44544922),
                    (2, 'posts', '2024-01-01 00:00:00', 0, x'00', 1000000);
                """)
        let history = try read(.sqlx)
        #expect(summary(history) == ["1:applied", "2:failed"])
        #expect(history.entries[0].executionMilliseconds == 44)
    }

    @Test func timestampsInTheFormsToolsStoreThem() {
        let expected = Date(timeIntervalSince1970: 1_705_312_800)  // 2024-01-15 10:00:00 UTC
        #expect(ForeignTimestamp.parse("2024-01-15 10:00:00") == expected)
        #expect(ForeignTimestamp.parse("2024-01-15T10:00:00Z") == expected)
        #expect(ForeignTimestamp.parse("2024-01-15 12:00:00+02") == expected)
        #expect(ForeignTimestamp.parse("2024-01-15 04:30:00-05:30") == expected)
        #expect(ForeignTimestamp.parse("2024-01-15 10:00:00.250")?.timeIntervalSince1970 == 1_705_312_800.25)
        #expect(ForeignTimestamp.parse("yesterday") == nil)
        #expect(ForeignTimestamp.parse("2024-01-15 10:00:00 junk") == nil)
    }
}
