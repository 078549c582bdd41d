import Foundation

/// A database that another migration tool migrated, as that tool leaves it: its migration files,
/// its history table created and filled exactly as the tool does it, and the tables its applied
/// migrations created. Each project has three migrations (users, posts, comments); the tool applied
/// the first two.
struct ForeignToolFixture: Sendable {
    enum Dialect: Sendable { case sqlite, postgres }

    let tool: String
    let table: String
    /// Files under the migration directory, by path.
    let files: [String: String]
    /// The versions as `mig status` names them, in order.
    let versions: [String]
    /// SQL that leaves the database as the tool leaves it.
    let setup: @Sendable (Dialect) -> String

    static let users = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
    static let posts = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));"
    static let comments = "CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id));"
    /// What the tool's two applied migrations created.
    static let appliedSchema = users + "\n" + posts + "\n"

    static let all = [goose, golangMigrate, dbmate, diesel, flyway, sqlx, prisma]

    /// pressly/goose internal/dialect/dialectquery/postgres.go and sqlite3.go: `CreateTable`, and
    /// `InsertVersion` (`INSERT INTO t (version_id, is_applied) VALUES (?, ?)`), starting with the
    /// version 0 bootstrap row. Version 3 was applied and then reverted by an older goose, which
    /// recorded the down as an `is_applied = false` row (the latest row per version decides).
    static let goose = ForeignToolFixture(
        tool: "goose", table: "goose_db_version",
        files: [
            "00001_users.sql": "-- +goose Up\n\(users)\n-- +goose Down\nDROP TABLE users;\n",
            "00002_posts.sql": "-- +goose Up\n\(posts)\n-- +goose Down\nDROP TABLE posts;\n",
            "00003_comments.sql": "-- +goose Up\n\(comments)\n-- +goose Down\nDROP TABLE comments;\n",
        ],
        versions: ["00001", "00002", "00003"],
        setup: { dialect in
            let (create, yes, no) =
                dialect == .postgres
                ? (
                    """
                    CREATE TABLE goose_db_version (
                        id serial NOT NULL,
                        version_id bigint NOT NULL,
                        is_applied boolean NOT NULL,
                        tstamp timestamp NULL default now(),
                        PRIMARY KEY(id)
                    );
                    """, "true", "false"
                )
                : (
                    """
                    CREATE TABLE goose_db_version (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        version_id INTEGER NOT NULL,
                        is_applied INTEGER NOT NULL,
                        tstamp TIMESTAMP DEFAULT (datetime('now'))
                    );
                    """, "1", "0"
                )
            return create + "\n"
                + [("0", yes), ("1", yes), ("2", yes), ("3", yes), ("3", no)].map {
                    "INSERT INTO goose_db_version (version_id, is_applied) VALUES (\($0.0), \($0.1));\n"
                }.joined() + appliedSchema
        })

    /// golang-migrate database/postgres/postgres.go and database/sqlite3/sqlite3.go:
    /// `ensureVersionTable`, and `SetVersion`, which empties the table and inserts the one row
    /// `(version, dirty)`.
    static let golangMigrate = ForeignToolFixture(
        tool: "golang-migrate", table: "schema_migrations",
        files: [
            "000001_users.up.sql": users + "\n", "000001_users.down.sql": "DROP TABLE users;\n",
            "000002_posts.up.sql": posts + "\n", "000002_posts.down.sql": "DROP TABLE posts;\n",
            "000003_comments.up.sql": comments + "\n", "000003_comments.down.sql": "DROP TABLE comments;\n",
        ],
        versions: ["000001", "000002", "000003"],
        setup: { dialect in golangMigrateTable(dialect, version: 2, dirty: false) + appliedSchema })

    static func golangMigrateTable(_ dialect: Dialect, version: Int, dirty: Bool) -> String {
        dialect == .postgres
            ? """
            CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null);
            TRUNCATE "public"."schema_migrations";
            INSERT INTO "public"."schema_migrations" (version, dirty) VALUES (\(version), \(dirty));

            """
            : """
            CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
            CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);
            DELETE FROM schema_migrations;
            INSERT INTO schema_migrations (version, dirty) VALUES (\(version), \(dirty ? 1 : 0));

            """
    }

    /// amacneil/dbmate pkg/driver/postgres/postgres.go and pkg/driver/sqlite/sqlite.go:
    /// `CreateMigrationsTable` and `InsertMigration` (`insert into t (version) values (?)`).
    static let dbmate = ForeignToolFixture(
        tool: "dbmate", table: "schema_migrations",
        files: [
            "20240101000001_users.sql": "-- migrate:up\n\(users)\n-- migrate:down\nDROP TABLE users;\n",
            "20240101000002_posts.sql": "-- migrate:up\n\(posts)\n-- migrate:down\nDROP TABLE posts;\n",
            "20240101000003_comments.sql": "-- migrate:up\n\(comments)\n-- migrate:down\nDROP TABLE comments;\n",
        ],
        versions: ["20240101000001", "20240101000002", "20240101000003"],
        setup: { dialect in dbmateTable(dialect, versions: ["20240101000001", "20240101000002"]) + appliedSchema })

    static func dbmateTable(_ dialect: Dialect, versions: [String]) -> String {
        let name = dialect == .postgres ? "\"public\".\"schema_migrations\"" : "\"schema_migrations\""
        let length = dialect == .postgres ? 255 : 128
        return "create table if not exists \(name) (version varchar(\(length)) primary key);\n"
            + versions.map { "insert into \(name) (version) values ('\($0)');\n" }.joined()
    }

    /// diesel-rs/diesel diesel_migrations/src/migration/setup_migration_table.sql and
    /// migration_harness.rs `run_migration` (inserts the version only). diesel stores the folder's
    /// version with dashes removed (migrations_internals `version_from_string`); the folders here
    /// are named without dashes, as mig's catalog reads them today.
    static let diesel = ForeignToolFixture(
        tool: "diesel", table: "__diesel_schema_migrations",
        files: [
            "20240101000001_users/up.sql": users + "\n", "20240101000001_users/down.sql": "DROP TABLE users;\n",
            "20240101000002_posts/up.sql": posts + "\n", "20240101000002_posts/down.sql": "DROP TABLE posts;\n",
            "20240101000003_comments/up.sql": comments + "\n",
            "20240101000003_comments/down.sql": "DROP TABLE comments;\n",
        ],
        versions: ["20240101000001", "20240101000002", "20240101000003"],
        setup: { _ in
            """
            CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
                   version VARCHAR(50) PRIMARY KEY NOT NULL,
                   run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
            );
            INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000001');
            INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000002');

            """ + appliedSchema
        })

    /// Flyway's createMetaDataTable.sql for PostgreSQL and SQLite, with rows as Flyway inserts them
    /// (one per apply; the version as written in the file name with `_` turned into `.`; a
    /// repeatable with a NULL version).
    static let flyway = ForeignToolFixture(
        tool: "flyway", table: "flyway_schema_history",
        files: ["V1__users.sql": users + "\n", "V1_1__posts.sql": posts + "\n", "V2__comments.sql": comments + "\n"],
        versions: ["1", "1_1", "2"],
        setup: { dialect in
            flywayTable(dialect)
                + flywayRows([
                    "(1, '1', 'users', 'SQL', 'V1__users.sql', 1234, 'alice', '2024-01-15 10:00:00', 5, \(dialect.yes))",
                    "(2, '1.1', 'posts', 'SQL', 'V1_1__posts.sql', 5678, 'alice', '2024-01-15 10:00:01', 7, \(dialect.yes))",
                    "(3, NULL, 'views', 'SQL', 'R__views.sql', 42, 'alice', '2024-01-15 10:00:02', 1, \(dialect.yes))",
                ]) + appliedSchema
        })

    static func flywayTable(_ dialect: Dialect) -> String {
        dialect == .postgres
            ? """
            CREATE TABLE "public"."flyway_schema_history" (
                "installed_rank" INT NOT NULL,
                "version" VARCHAR(50),
                "description" VARCHAR(200) NOT NULL,
                "type" VARCHAR(20) NOT NULL,
                "script" VARCHAR(1000) NOT NULL,
                "checksum" INTEGER,
                "installed_by" VARCHAR(100) NOT NULL,
                "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
                "execution_time" INTEGER NOT NULL,
                "success" BOOLEAN NOT NULL
            );
            ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
            CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");

            """
            : """
            CREATE TABLE "main"."flyway_schema_history" (
                "installed_rank" INT NOT NULL PRIMARY KEY,
                "version" VARCHAR(50),
                "description" VARCHAR(200) NOT NULL,
                "type" VARCHAR(20) NOT NULL,
                "script" VARCHAR(1000) NOT NULL,
                "checksum" INT,
                "installed_by" VARCHAR(100) NOT NULL,
                "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),
                "execution_time" INT NOT NULL,
                "success" BOOLEAN NOT NULL
            );
            CREATE INDEX "main"."flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");

            """
    }

    /// launchbadge/sqlx sqlx-postgres/src/migrate.rs (and sqlx-sqlite's): `ensure_migrations_table`,
    /// and `execute_migration`, which inserts `(version, description, TRUE, checksum, -1)`; `apply`
    /// then sets `execution_time` in nanoseconds.
    static let sqlx = ForeignToolFixture(
        tool: "sqlx", table: "_sqlx_migrations",
        files: [
            "20240101000001_users.up.sql": users + "\n", "20240101000001_users.down.sql": "DROP TABLE users;\n",
            "20240101000002_posts.up.sql": posts + "\n", "20240101000002_posts.down.sql": "DROP TABLE posts;\n",
            "20240101000003_comments.up.sql": comments + "\n",
            "20240101000003_comments.down.sql": "DROP TABLE comments;\n",
        ],
        versions: ["20240101000001", "20240101000002", "20240101000003"],
        setup: { dialect in
            let (timestamp, bytes, checksum) =
                dialect == .postgres
                ? ("TIMESTAMPTZ NOT NULL DEFAULT now()", "BYTEA", "decode('8515e9ec', 'hex')")
                : ("TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", "BLOB", "x'8515e9ec'")
            return """
                CREATE TABLE IF NOT EXISTS _sqlx_migrations (
                    version BIGINT PRIMARY KEY,
                    description TEXT NOT NULL,
                    installed_on \(timestamp),
                    success BOOLEAN NOT NULL,
                    checksum \(bytes) NOT NULL,
                    execution_time BIGINT NOT NULL
                );
                INSERT INTO _sqlx_migrations ( version, description, success, checksum, execution_time )
                VALUES ( 20240101000001, 'users', TRUE, \(checksum), -1 );
                UPDATE _sqlx_migrations SET execution_time = 4500000 WHERE version = 20240101000001;
                INSERT INTO _sqlx_migrations ( version, description, success, checksum, execution_time )
                VALUES ( 20240101000002, 'posts', TRUE, \(checksum), -1 );

                """ + appliedSchema
        })

    /// Prisma Migrate's folders (`VERSION_name/migration.sql`, `migration_lock.toml`) and its
    /// `_prisma_migrations` as prisma-engines creates it (sql-schema-connector's `create_migrations_table`
    /// for PostgreSQL and SQLite) and fills it: one row per attempt, `checksum` the SHA-256 of the
    /// script, `finished_at` set when it succeeded (SQLite stores milliseconds since 1970). The
    /// comments migration failed once and was marked rolled back (`prisma migrate resolve
    /// --rolled-back`), so it is not applied.
    static let prisma = ForeignToolFixture(
        tool: "prisma", table: "_prisma_migrations",
        files: [
            "migration_lock.toml": "# Please do not edit this file manually\nprovider = \"postgresql\"\n",
            "20240101000001_users/migration.sql": users + "\n", "20240101000002_posts/migration.sql": posts + "\n",
            "20240101000003_comments/migration.sql": comments + "\n",
        ],
        versions: ["20240101000001", "20240101000002", "20240101000003"],
        setup: { dialect in
            let (create, at, rolledBack) =
                dialect == .postgres
                ? (
                    """
                    CREATE TABLE "_prisma_migrations" (
                        "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
                        "checksum"              VARCHAR(64) NOT NULL,
                        "finished_at"           TIMESTAMPTZ,
                        "migration_name"        VARCHAR(255) NOT NULL,
                        "logs"                  TEXT,
                        "rolled_back_at"        TIMESTAMPTZ,
                        "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
                        "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
                    );
                    """, ["'2024-01-01 10:00:00+00'", "'2024-01-01 10:00:01+00'", "'2024-01-01 10:00:02+00'"],
                    "now()"
                )
                : (
                    """
                    CREATE TABLE "_prisma_migrations" (
                        "id"                    TEXT PRIMARY KEY NOT NULL,
                        "checksum"              TEXT NOT NULL,
                        "finished_at"           DATETIME,
                        "migration_name"        TEXT NOT NULL,
                        "logs"                  TEXT,
                        "rolled_back_at"        DATETIME,
                        "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
                        "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
                    );
                    """, ["1704103200000", "1704103201000", "1704103202000"], "1704103203000"
                )
            let rows = [
                ("'3f1c2d9e-0000-4000-8000-000000000001'", "20240101000001_users", at[0], at[0], "NULL", 1),
                ("'3f1c2d9e-0000-4000-8000-000000000002'", "20240101000002_posts", at[1], at[1], "NULL", 1),
                ("'3f1c2d9e-0000-4000-8000-000000000003'", "20240101000003_comments", at[2], "NULL", rolledBack, 0),
            ]
            return create + "\n"
                + rows.map { id, name, started, finished, rolledBackAt, steps in
                    "INSERT INTO \"_prisma_migrations\" (\"id\", \"checksum\", \"finished_at\", \"migration_name\", "
                        + "\"logs\", \"rolled_back_at\", \"started_at\", \"applied_steps_count\") VALUES (\(id), "
                        + "'9b1f0c5e6a7d8e9f00112233445566778899aabbccddeeff0011223344556677', \(finished), '\(name)', "
                        + "NULL, \(rolledBackAt), \(started), \(steps));\n"
                }.joined() + appliedSchema
        })

    static func flywayRows(_ rows: [String]) -> String {
        rows.map {
            "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
                + "installed_by, installed_on, execution_time, success) VALUES \($0);\n"
        }.joined()
    }
}

extension ForeignToolFixture.Dialect {
    /// A true boolean as the tool's driver stores it.
    var yes: String { self == .postgres ? "true" : "1" }
}
