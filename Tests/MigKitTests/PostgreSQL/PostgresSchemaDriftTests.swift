import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// `SchemaDrift` and `SchemaRepair` on the PostgreSQL test server: a database migrated by the
/// runner and changed by hand, compared with shadows on the same server.
@Suite(.postgres) struct PostgresSchemaDriftTests {
    let server: PostgresShadowServer
    let database: PostgresTestDatabase
    let fixture: MigrationFixture

    init() throws {
        server = try PostgresShadowServer(
            url: try PostgresTestServer.url(database: "postgres"), settings: Configuration.Database(), announce: {})
        database = try PostgresTestDatabase()
        fixture = try MigrationFixture()
        try fixture.add(
            "0001", "users", up: "CREATE TABLE users (id serial PRIMARY KEY, email text DEFAULT 'x', name text);",
            down: "DROP TABLE users;")
        try fixture.add(
            "0002", "posts",
            up: """
                CREATE TABLE posts (id serial PRIMARY KEY, user_id integer REFERENCES users (id), title text);
                CREATE INDEX posts_title ON posts (title);
                CREATE VIEW titles AS SELECT title FROM posts;
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  NEW.title := coalesce(NEW.title, '');  -- never null
                  RETURN NEW;
                END $$;
                """,
            down: "DROP FUNCTION touch();\nDROP VIEW titles;\nDROP TABLE posts;")
    }

    private func replay() -> ShadowReplay {
        ShadowReplay(directoryPrefix: fixture.directory) { [server] in try server.makeDatabase() }
    }

    private func migrated() throws -> PostgresDriver {
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        _ = try MigrationRunner(driver: driver, catalog: try fixture.catalog(), context: fixture.context)
            .run(.init(rehearse: false)) { try $0.upPlan() }
        return driver
    }

    /// The drift of `driver`, and the repair built from it.
    private func compare(_ driver: PostgresDriver) throws -> (SchemaDrift.Report, SchemaRepair?) {
        var repair: SchemaRepair?
        let outcome = try SchemaDrift(replay: replay()).compare(driver, catalog: try fixture.catalog()) {
            shadow, differences in
            guard !differences.isEmpty else { return }
            repair = try SchemaRepair.make(
                differences, dialect: .postgres, database: driver, migrations: try #require(shadow as? PostgresDriver))
        }
        guard case .compared(let report) = outcome else {
            throw DatabaseError(message: "the replay failed: \(outcome)")
        }
        return (report, repair)
    }

    @Test func listsExactlyAHandMadeIndexADroppedDefaultAndANewTableAndNothingWhenUntouched() throws {
        let driver = try migrated()
        #expect(try compare(driver).0.differences.isEmpty)
        try database.query(
            """
            CREATE INDEX users_email_idx ON users (email);
            ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
            CREATE TABLE audit (id bigint, note text);
            """)
        #expect(
            try compare(driver).0.differences.map(\.description) == [
                "index users_email_idx: only in the database",
                "table audit: only in the database",
                "table users / column email: default 'x'::text in the migrations, no default in the database",
            ])
    }

    @Test func theRepairMakesTheMigrationsMatchTheDatabaseAndItsDownReverts() throws {
        let driver = try migrated()
        try database.query(
            """
            CREATE INDEX users_email_idx ON users (email);
            ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
            ALTER TABLE users ADD COLUMN age integer NOT NULL DEFAULT 0;
            ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
            ALTER TABLE posts ALTER COLUMN title SET NOT NULL;
            CREATE TYPE mood AS ENUM ('calm', 'busy');
            CREATE TABLE audit (id serial PRIMARY KEY, note text NOT NULL DEFAULT '', mood mood);
            CREATE OR REPLACE VIEW titles AS SELECT title, id FROM posts;
            DROP INDEX posts_title;
            CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              NEW.title := coalesce(NEW.title, 'untitled');  -- a default title
              RETURN NEW;
            END $$;
            CREATE TRIGGER posts_touch BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION touch();
            ALTER SEQUENCE posts_id_seq INCREMENT BY 5 CACHE 2;
            """)
        let (report, made) = try compare(driver)
        let repair = try #require(made)
        #expect(report.differences.count > 8, "\(report.differences)")
        #expect(repair.todos.isEmpty, "\(repair.todos)")
        #expect(
            repair.up.contains("CREATE INDEX IF NOT EXISTS users_email_idx ON public.users USING btree (email);"),
            "\(repair.up)")
        #expect(repair.up.contains("ALTER TABLE \"users\" ALTER COLUMN \"email\" DROP DEFAULT;"), "\(repair.up)")
        #expect(repair.up.contains("-- a default title"), "\(repair.up)")
        #expect(repair.up.contains("ALTER SEQUENCE posts_id_seq AS integer INCREMENT BY 5"), "\(repair.up)")

        // Applied after the migrations in a fresh shadow, the repair gives the database's schema…
        try fixture.add("0009", "repair", up: repair.up, down: repair.down)
        let migrations = try fixture.catalog().migrations
        let shadow = try server.makeDatabase()
        let executor = MigrationStepExecutor(
            driver: shadow, context: nil, directoryPrefix: fixture.directory, inShadow: true)
        for migration in migrations.dropLast() { _ = try executor.perform(.apply(migration)) }
        let before = try shadow.schemaSnapshot()
        _ = try executor.perform(.apply(try #require(migrations.last)))
        let drift = SchemaDifference.between(
            migrations: try shadow.schemaSnapshot(), database: try driver.schemaSnapshot())
        #expect(drift.isEmpty, "\(drift.map(\.description))\n\(repair.up)")
        // …and its down brings back the migrations' schema.
        _ = try executor.perform(.revert(try #require(migrations.last)))
        let reverted = SchemaDifference.between(migrations: before, database: try shadow.schemaSnapshot())
        #expect(reverted.isEmpty, "\(reverted.map(\.description))\n\(repair.down)")
    }

    /// What is left between `driver` and a fresh shadow that ran every migration and then `repair`,
    /// and a function that runs the repair's down there.
    private func drift(after repair: SchemaRepair, against driver: PostgresDriver) throws -> (
        [SchemaDifference], revert: () throws -> Void
    ) {
        try fixture.add("0009", "repair", up: repair.up, down: repair.down)
        let shadow = try server.makeDatabase()
        let executor = MigrationStepExecutor(
            driver: shadow, context: nil, directoryPrefix: fixture.directory, inShadow: true)
        let migrations = try fixture.catalog().migrations
        for migration in migrations { _ = try executor.perform(.apply(migration)) }
        let left = SchemaDifference.between(migrations: try shadow.schemaSnapshot(), database: try driver.schemaSnapshot())
        return (left, { _ = try executor.perform(.revert(try #require(migrations.last))) })
    }

    @Test func anIdentityColumnsSequenceIsPartOfItsTableNotAnObject() throws {
        let driver = try migrated()
        try database.query(
            """
            CREATE TABLE tokens (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, value text);
            ALTER TABLE users ADD COLUMN code bigint GENERATED BY DEFAULT AS IDENTITY;
            """)
        let (report, made) = try compare(driver)
        #expect(
            report.differences.map(\.description) == [
                "index tokens_pkey: only in the database",
                "table tokens: only in the database",
                "table users / column code: only in the database",
            ])
        let repair = try #require(made)
        #expect(!repair.up.contains("SEQUENCE"), "\(repair.up)")
        let (left, _) = try drift(after: repair, against: driver)
        #expect(left.isEmpty, "\(left.map(\.description))\n\(repair.up)")
    }

    @Test func aReadOnlyDatabaseCannotBeWrittenAndReadsOneMoment() throws {
        _ = try migrated()
        let connector = DatabaseConnector(root: fixture.scratch.url, configuration: Configuration.Database())
        let readOnly = try connector.open(database.url, readOnly: true)
        #expect(throws: DatabaseError.self) { try readOnly.execute(sql: "CREATE TABLE sneaked (id integer)") }
        let (applied, tables) = try readOnly.readingConsistently {
            let before = try readOnly.appliedMigrations().count
            // Another session changes the history and the schema half-way through the read.
            _ = try database.query("DELETE FROM mig_history; CREATE TABLE late (id integer);")
            return (
                [before, try readOnly.appliedMigrations().count],
                try readOnly.schemaSnapshot().objects.filter { $0.kind == "table" }.map(\.name)
            )
        }
        #expect(applied == [2, 2])
        #expect(!tables.contains("late"), "\(tables)")
        #expect(try readOnly.schemaSnapshot().objects.contains { $0.name == "late" })
    }

    @Test func materializedViewsAndProceduresAreDroppedAsWhatTheyAreAndADroppedSequenceIsATodo() throws {
        try fixture.add("0003", "numbers", up: "CREATE SEQUENCE invoice_numbers;", down: "DROP SEQUENCE invoice_numbers;")
        let driver = try migrated()
        try database.query(
            """
            DROP SEQUENCE invoice_numbers;
            CREATE MATERIALIZED VIEW post_count AS SELECT count(*) AS n FROM posts;
            CREATE PROCEDURE tidy() LANGUAGE sql AS $$ DELETE FROM posts WHERE title IS NULL $$;
            """)
        let repair = try #require(try compare(driver).1)
        #expect(repair.todos.map { String($0.prefix { $0 != ":" }) } == ["sequence invoice_numbers"], "\(repair.todos)")
        #expect(repair.up.contains("CREATE MATERIALIZED VIEW IF NOT EXISTS post_count AS"), "\(repair.up)")
        #expect(repair.down.contains("DROP MATERIALIZED VIEW IF EXISTS \"post_count\";"), "\(repair.down)")
        #expect(repair.down.contains("DROP PROCEDURE IF EXISTS \"tidy\"();"), "\(repair.down)")
        // Applied and reverted in a shadow, the repair runs both ways.
        let (left, revert) = try drift(after: repair, against: driver)
        #expect(left.map(\.path) == ["sequence invoice_numbers"])
        try revert()
    }

    @Test func objectsThatBelongToAnExtensionAreLeftOut() throws {
        let driver = try migrated()
        // Made by hand, then made members of an extension, as an extension's script makes them.
        try database.query(
            """
            CREATE TYPE ext_mood AS ENUM ('calm');
            CREATE TABLE ext_items (id integer PRIMARY KEY, mood ext_mood);
            CREATE INDEX ext_items_mood ON ext_items (mood);
            CREATE TRIGGER ext_items_touch BEFORE INSERT ON ext_items FOR EACH ROW EXECUTE FUNCTION touch();
            CREATE EXTENSION citext;
            ALTER EXTENSION citext ADD TYPE ext_mood;
            ALTER EXTENSION citext ADD TABLE ext_items;
            """)
        #expect(try compare(driver).0.differences.map(\.description) == [])
    }

    @Test func aForeignKeyToANewTableIsAddedAfterThatTable() throws {
        let driver = try migrated()
        try database.query(
            """
            CREATE TABLE zones (id integer PRIMARY KEY);
            ALTER TABLE users ADD COLUMN zone_id integer REFERENCES zones (id);
            """)
        let repair = try #require(try compare(driver).1)
        let (left, revert) = try drift(after: repair, against: driver)
        #expect(left.isEmpty, "\(left.map(\.description))\n\(repair.up)")
        try revert()
    }

    @Test func namesAreDeparsedTheSameWhateverTheSessionsSearchPath() throws {
        try fixture.add(
            "0003", "app",
            up: "CREATE SCHEMA app;\nCREATE TABLE app.items (id integer);\nCREATE VIEW app.item_ids AS SELECT id FROM app.items;")
        _ = try migrated()
        try database.query("ALTER DATABASE \(database.name) SET search_path = public, app;")
        let driver = try PostgresDriver(url: database.url, settings: Configuration.Database())
        #expect(try compare(driver).0.differences.map(\.description) == [])
    }

    @Test func quotedNamesAndTheWhiteSpaceOfLiteralsReachTheRepairExactly() throws {
        try fixture.add(
            "0003", "people",
            up: #"CREATE TABLE people ("first name" text DEFAULT 'was generated by hand', note text);"#)
        let driver = try migrated()
        try database.query(
            #"""
            ALTER TABLE people ALTER COLUMN "first name" SET DEFAULT 'a  b';
            ALTER TABLE people ADD COLUMN "last name" text NOT NULL DEFAULT 'c  d';
            ALTER TABLE people ADD CONSTRAINT "note check" CHECK (note <> 'e  f');
            """#)
        let (report, made) = try compare(driver)
        #expect(
            report.differences.map(\.description) == [
                #"table people / column "first name": default 'was generated by hand'::text in the migrations, "#
                    + "default 'a b'::text in the database",
                #"table people / column "last name": only in the database"#,
                #"table people / constraint "note check": only in the database"#,
            ])
        let repair = try #require(made)
        #expect(
            repair.up.contains(#"ALTER TABLE "people" ALTER COLUMN "first name" SET DEFAULT 'a  b'::text;"#),
            "\(repair.up)")
        #expect(
            repair.up.contains(#"ADD COLUMN IF NOT EXISTS "last name" text DEFAULT 'c  d'::text NOT NULL;"#),
            "\(repair.up)")
        #expect(repair.up.contains(#"ADD CONSTRAINT "note check" CHECK ((note <> 'e  f'::text));"#), "\(repair.up)")
        #expect(
            repair.down.contains(
                #"ALTER TABLE "people" ALTER COLUMN "first name" SET DEFAULT 'was generated by hand'::text;"#),
            "\(repair.down)")
        let (left, revert) = try drift(after: repair, against: driver)
        #expect(left.isEmpty, "\(left.map(\.description))\n\(repair.up)")
        try revert()
    }

    @Test func aPartitionedTableAndItsPartitionAreMadeAsSuch() throws {
        let driver = try migrated()
        try database.query(
            """
            CREATE TABLE events (id integer, at date NOT NULL) PARTITION BY RANGE (at);
            CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            """)
        let repair = try #require(try compare(driver).1)
        #expect(repair.up.contains("\n) PARTITION BY RANGE (at);"), "\(repair.up)")
        #expect(
            repair.up.contains(
                "CREATE TABLE IF NOT EXISTS events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
            ), "\(repair.up)")
        let (left, revert) = try drift(after: repair, against: driver)
        #expect(left.isEmpty, "\(left.map(\.description))\n\(repair.up)")
        try revert()
    }

    @Test func aTypeChangeAndADroppedColumnAreTodos() throws {
        let driver = try migrated()
        try database.query(
            "DROP VIEW titles; ALTER TABLE posts ALTER COLUMN title TYPE varchar(200); ALTER TABLE users DROP COLUMN name; CREATE VIEW titles AS SELECT title FROM posts;"
        )
        let repair = try #require(try compare(driver).1)
        #expect(
            repair.todos.map { String($0.prefix { $0 != ":" }) } == [
                "table posts / column title", "table users / column name",
            ],
            "\(repair.todos)")
        #expect(
            repair.up.contains("--   ALTER TABLE \"posts\" ALTER COLUMN \"title\" TYPE character varying(200);"),
            "\(repair.up)")
    }
}
