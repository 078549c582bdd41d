import Foundation
import MigKit
import Testing

@Suite struct ShadowReplayTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try fixture.add("0001", "users", up: "CREATE TABLE users (id INTEGER PRIMARY KEY);", down: "DROP TABLE users;")
    }

    @Test func replaysEveryUpAndRoundtripsCleanly() throws {
        try fixture.add(
            "0002", "names", up: "ALTER TABLE users ADD COLUMN name TEXT;", down: "ALTER TABLE users DROP COLUMN name;")
        var seen: [String] = []
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true) {
            seen.append("\($0.direction.rawValue) \($0.version)")
        }
        #expect(report.diagnostics.isEmpty)
        #expect(report.roundtripCompleted)
        #expect(seen == ["up 0001", "up 0002", "down 0002", "down 0001", "up 0001", "up 0002"])
    }

    @Test func namesTheDownThatLeavesAColumnBehind() throws {
        try fixture.add("0002", "names", up: "ALTER TABLE users ADD COLUMN name TEXT;", down: "SELECT 1;")
        try fixture.add("0003", "posts", up: "CREATE TABLE posts (id INTEGER);", down: "DROP TABLE posts;")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        let finding = try #require(report.diagnostics.first)
        #expect(report.diagnostics.count == 1)
        #expect(finding.code == .shadowFailed)
        #expect(finding.location == .init(path: "db/migrations/0002_names.sql", line: 4))
        #expect(finding.message.contains("0002_names does not fully revert"))
        #expect(finding.message.contains("+     column name text"))
        #expect(!report.roundtripCompleted)
    }

    /// The down rebuilds the table in other text, and the second up's `ADD COLUMN` then writes
    /// other text again: the cheap digests differ, the normalised schemas do not.
    @Test func aDownThatRebuildsATableInOtherTextStillReverts() throws {
        try fixture.add(
            "0002", "names", up: "ALTER TABLE users ADD COLUMN name TEXT;",
            down: """
                CREATE TABLE users_new (id   integer   PRIMARY KEY);
                INSERT INTO users_new (id) SELECT id FROM users;
                DROP TABLE users;
                ALTER TABLE users_new RENAME TO users;
                """)
        try fixture.add("0003", "posts", up: "CREATE TABLE posts (id INTEGER);", down: "DROP TABLE posts;")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.roundtripCompleted)
    }

    @Test func theSchemaDigestIgnoresRowOrderAndSeesEveryChange() throws {
        let digest = { (sql: String) in
            let database = try SQLiteDriver.inMemory()
            try database.execute(sql: sql)
            return try database.schemaDigest()
        }
        let tables = ["CREATE TABLE a (id INTEGER);", "CREATE TABLE b (id INTEGER);"]
        #expect(try digest(tables.joined()) == digest(tables.reversed().joined()))
        #expect(try digest(tables.joined()) != digest(tables.joined() + "CREATE INDEX b_id ON b (id);"))
        #expect(try digest(tables.joined()) != digest("CREATE TABLE a (id TEXT);" + tables[1]))
        // The same schema in other text.
        #expect(try digest(tables.joined()) == digest("create table a (\n  id integer\n);" + tables[1]))
        // The history table is not part of the schema.
        #expect(try digest(tables.joined()) == digest(tables.joined() + "CREATE TABLE mig_history (v TEXT);"))
    }

    @Test func reportsAFailingUpWithFileAndLine() throws {
        try fixture.add(
            "0002", "bad",
            up: "CREATE TABLE a (id INTEGER);\nCREATE TABLE b (id INTEGER);\nCREATE TABLE users (id INTEGER);")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: false)
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .shadowFailed)
        #expect(finding.location == .init(path: "db/migrations/0002_bad.sql", line: 4))
        #expect(finding.message.contains("table users already exists"))
    }

    @Test func namesADownScriptThatFails() throws {
        try fixture.add("0002", "posts", up: "CREATE TABLE posts (id INTEGER);", down: "DROP TABLE post;")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .shadowFailed)
        #expect(finding.location == .init(path: "db/migrations/0002_posts.sql", line: 4))
        #expect(finding.message.contains("migration 0002_posts (down) failed in the shadow: no such table: post"))
    }

    @Test func namesADownThatBreaksTheSecondUp() throws {
        // The down leaves a row behind, which only the second up trips over.
        try fixture.add(
            "0002", "admin", up: "INSERT INTO users (id) VALUES (1);\nCREATE TABLE settings (id INTEGER);",
            down: "DROP TABLE settings;")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        #expect(report.diagnostics.isEmpty, "the rows go with the table in 0001's down")
        try fixture.add(
            "0003", "keep", up: "CREATE TABLE audit (id INTEGER PRIMARY KEY);\nINSERT INTO audit VALUES (1);",
            down: "SELECT 1;")
        let leaky = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        #expect(leaky.diagnostics.first?.message.contains("0003_keep does not fully revert") == true)
    }

    @Test func skipsTheRoundtripWithoutDownScripts() throws {
        try fixture.add("0002", "oneway", up: "CREATE TABLE t (id INTEGER);")
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true)
        #expect(report.diagnostics.isEmpty)
        #expect(report.roundtripSkipped == "0002_oneway has no down script")
    }

    @Test func roundtripsTheMigrationsAfterTheNewestOneWithoutADown() throws {
        try fixture.add("0002", "oneway", up: "CREATE TABLE t (id INTEGER);")
        try fixture.add("0003", "posts", up: "CREATE TABLE posts (id INTEGER);", down: "DROP TABLE posts;")
        try fixture.add("0004", "names", up: "ALTER TABLE users ADD COLUMN name TEXT;", down: "SELECT 1;")
        var seen: [String] = []
        let leaky = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true) {
            seen.append("\($0.direction.rawValue) \($0.version)")
        }
        #expect(leaky.diagnostics.first?.message.contains("0004_names does not fully revert") == true)
        #expect(leaky.roundtripSkipped == nil)

        try fixture.add(
            "0004", "names", up: "ALTER TABLE users ADD COLUMN name TEXT;", down: "ALTER TABLE users DROP COLUMN name;")
        seen = []
        let report = try fixture.replay().run(try fixture.catalog().migrations, roundtrip: true) {
            seen.append("\($0.direction.rawValue) \($0.version)")
        }
        #expect(report.diagnostics.isEmpty)
        #expect(report.roundtripCompleted)
        #expect(seen == ["up 0001", "up 0002", "up 0003", "up 0004", "down 0004", "down 0003", "up 0003", "up 0004"])
        #expect(
            report.roundtripUntested
                == "0002_oneway has no down script, so the roundtrip reverted only the 2 newer migration(s); "
                + "0002_oneway and the 1 older were not reverted")
    }

    @Test func columnOrderDoesNotCountAndADifferenceIsNeverEmpty() {
        let table = SchemaSnapshot.Object(kind: "table", name: "t", details: ["column a int", "column b text"])
        let reordered = SchemaSnapshot.Object(kind: "table", name: "t", details: ["column b text", "column a int"])
        #expect(SchemaSnapshot(objects: [table]) == SchemaSnapshot(objects: [reordered]))
        let doubled = SchemaSnapshot.Object(
            kind: "table", name: "t", details: ["column a int", "column a int", "column b text"])
        let difference = SchemaSnapshot(objects: [table]).difference(to: SchemaSnapshot(objects: [doubled]))
        #expect(difference.contains("+     column a int"), "\(difference)")
        #expect(difference.count == 6)
    }
}

@Suite struct DeployOrderDriftTests {
    @Test func findsAReorderThatChangesTheSchema() throws {
        // Base: 0001 creates t, 0003 copies t's columns into a snapshot table.
        let base = try MigrationFixture()
        try base.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try base.add("0003", "copy", up: "CREATE TABLE t_copy AS SELECT * FROM t;")
        let head = try MigrationFixture()
        try head.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try head.add("0003", "copy", up: "CREATE TABLE t_copy AS SELECT * FROM t;")
        // Head adds 0002 (older than base's 0003): deployed after 0003, but before it on a fresh database.
        try head.add("0002", "add_name", up: "ALTER TABLE t ADD COLUMN name TEXT;")
        let report = try DeployOrderDrift(replay: head.replay()).check(base: base.catalog(), head: head.catalog())
        #expect(report.deployOrder == ["0001_t", "0003_copy", "0002_add_name"])
        #expect(report.versionOrder == ["0001_t", "0002_add_name", "0003_copy"])
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .orderDrift)
        #expect(finding.location?.path == "db/migrations/0002_add_name.sql")
        #expect(finding.message.contains("table t_copy"))
        #expect(finding.message.contains("+     column name"))
    }

    /// Of two added migrations, the one older than base's newest is blamed, not the one after it.
    @Test func blamesTheAddedMigrationOlderThanBasesNewest() throws {
        let base = try MigrationFixture()
        try base.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try base.add("0003", "copy", up: "CREATE TABLE t_copy AS SELECT * FROM t;")
        let head = try MigrationFixture()
        try head.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try head.add("0003", "copy", up: "CREATE TABLE t_copy AS SELECT * FROM t;")
        try head.add("0002", "add_name", up: "ALTER TABLE t ADD COLUMN name TEXT;")
        try head.add("0004", "later", up: "CREATE TABLE later (id INTEGER);")
        let report = try DeployOrderDrift(replay: head.replay()).check(base: base.catalog(), head: head.catalog())
        #expect(report.deployOrder == ["0001_t", "0003_copy", "0002_add_name", "0004_later"])
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .orderDrift)
        #expect(finding.location?.path == "db/migrations/0002_add_name.sql")
        #expect(finding.message.contains("(base's migrations, then 0002_add_name)"), "\(finding.message)")
    }

    @Test func acceptsAReorderThatDoesNotChangeTheSchema() throws {
        let base = try MigrationFixture()
        try base.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try base.add("0003", "u", up: "CREATE TABLE u (id INTEGER);")
        let head = try MigrationFixture()
        try head.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try head.add("0003", "u", up: "CREATE TABLE u (id INTEGER);")
        try head.add("0002", "v", up: "CREATE TABLE v (id INTEGER);")
        let report = try DeployOrderDrift(replay: head.replay()).check(base: base.catalog(), head: head.catalog())
        #expect(report.diagnostics.isEmpty)
        #expect(report.deployOrder != report.versionOrder)
    }

    @Test func reportsAReorderThatFailsInOneOrder() throws {
        let base = try MigrationFixture()
        try base.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try base.add("0003", "drop", up: "DROP TABLE t;")
        let head = try MigrationFixture()
        try head.add("0001", "t", up: "CREATE TABLE t (id INTEGER);")
        try head.add("0003", "drop", up: "DROP TABLE t;")
        try head.add("0002", "index", up: "CREATE INDEX t_id ON t (id);")
        let report = try DeployOrderDrift(replay: head.replay()).check(base: base.catalog(), head: head.catalog())
        let finding = try #require(report.diagnostics.first)
        #expect(finding.code == .shadowFailed)
        #expect(finding.message.contains("deploy order"))
        #expect(finding.location == .init(path: "db/migrations/0002_index.sql", line: 2))
    }
}
