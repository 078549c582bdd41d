import Foundation
import MigTestSupport
import Testing

@Suite struct LintCommandTests {
    /// A PostgreSQL project whose main branch created `users` long ago, now on branch `feature`.
    private func repository() throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nversioning = \"sequential\"\ndialect = \"postgres\"\n")
        try repo.git.write(
            BranchRepository.path("0001_users"),
            "-- mig:up\nCREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);\n"
                + "-- mig:down\nDROP TABLE users;\n")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        return repo
    }

    private static func migration(_ up: String, down: String = "SELECT 1;") -> String {
        "-- mig:up\n\(up)\n-- mig:down\n\(down)\n"
    }

    @Test func anIndexOnATableMainCreatedLongAgoIsAFindingInLintAndCheck() throws {
        let repo = try repository()
        try repo.git.write(
            BranchRepository.path("0002_users_email"), Self.migration("CREATE INDEX users_email_idx ON users (email);"))
        try repo.git.commit("index users.email")

        let lint = try repo.mig(["lint"])
        #expect(lint.status == 1, "\(lint.stdout)\(lint.stderr)")
        #expect(
            lint.stdout.contains(
                "db/migrations/0002_users_email.sql:2: error: CREATE INDEX on users, which exists before this branch, without CONCURRENTLY"
            ))
        #expect(lint.stdout.contains("[require-concurrent-index-creation]"))
        #expect(lint.stdout.contains("1 error(s), 0 warning(s) in 1 migration(s) against main"))

        let check = try repo.checkJSON(["--base", "main"])
        #expect(check.status == 1)
        #expect(check.codes == ["lint"])

        let sarif = try repo.mig(["lint", "--format", "sarif"])
        #expect(sarif.stdout.contains("\"ruleId\" : \"require-concurrent-index-creation\""))
        #expect(sarif.stdout.contains("Safe way: CREATE INDEX CONCURRENTLY"))
        let junit = try repo.mig(["lint", "--format", "junit"])
        #expect(junit.stdout.contains("<testsuite name=\"mig lint against main\""))
        #expect(
            junit.stdout.contains(
                "<testcase classname=\"mig.lint\" name=\"require-concurrent-index-creation db/migrations/0002_users_email.sql:2\""
            ))
        #expect(junit.stdout.contains("<testcase classname=\"mig.lint\" name=\"ban-drop-table\"/>"))
        let github = try repo.mig(["lint", "--format", "github"])
        #expect(
            github.stdout.hasPrefix(
                "::error file=db/migrations/0002_users_email.sql,line=2,title=mig require-concurrent-index-creation::"))
    }

    @Test func anIndexOnATableTheBranchCreatesIsNotAFinding() throws {
        let repo = try repository()
        try repo.git.write(
            BranchRepository.path("0002_orders"),
            Self.migration("CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint);"))
        try repo.git.commit("orders")
        try repo.git.write(
            BranchRepository.path("0003_orders_user"),
            Self.migration("CREATE INDEX orders_user_idx ON orders (user_id);"))
        try repo.git.commit("index orders.user_id")

        let lint = try repo.mig(["lint"])
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
        #expect(lint.stdout == "ok: no problems found in 2 migration(s) against main\n")
        let check = try repo.mig(["check", "--base", "main"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        // Alone, the index migration is linted as if orders existed only with the branch's context.
        let named = try repo.mig(["lint", "db/migrations/0003_orders_user.sql"])
        #expect(named.status == 0, "\(named.stdout)\(named.stderr)")
        let all = try repo.mig(["lint", "--all"])
        #expect(all.status == 1)
        #expect(all.stdout.contains("0003_orders_user.sql:2: error: CREATE INDEX on orders"))
    }

    @Test func warningsOnlyExitZeroAndUnparseableSQLIsAFindingWithItsLine() throws {
        let repo = try repository()
        try repo.git.write(BranchRepository.path("0002_events"), Self.migration("CREATE TABLE events (at timestamp);"))
        let warnings = try repo.mig(["lint"])
        #expect(warnings.status == 0, "\(warnings.stdout)\(warnings.stderr)")
        #expect(warnings.stdout.contains("0002_events.sql:2: warning: events.at is timestamp without time zone"))

        try repo.git.write(
            BranchRepository.path("0003_broken"), Self.migration("CREATE TABLE t (id bigint);\nALTER TABLE t ADD;"))
        let broken = try repo.mig(["lint", "--format", "json"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("\"rule\" : \"syntax-error\""))
        #expect(broken.stdout.contains("\"line\" : 3"))
    }

    /// The columns of a table main created come from main's migrations: a rebuild on the branch
    /// that leaves one out is a finding, shown in text like every other.
    @Test func aSQLiteRebuildThatLosesAColumnMainCreatedIsShown() throws {
        let repo = try BranchRepository()
        try repo.git.write(".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\nversioning = \"sequential\"\n")
        try repo.git.write(
            BranchRepository.path("0001_users"),
            Self.migration("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);", down: "DROP TABLE users;"))
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(
            BranchRepository.path("0002_rebuild_users"),
            Self.migration(
                """
                CREATE TABLE new_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
                INSERT INTO new_users (id, name) SELECT id, coalesce(name, '') FROM users;
                DROP TABLE users;
                ALTER TABLE new_users RENAME TO users;
                """))
        let lint = try repo.mig(["lint"])
        #expect(lint.status == 1, "\(lint.stdout)\(lint.stderr)")
        #expect(
            lint.stdout.contains(
                "db/migrations/0002_rebuild_users.sql:3: error: the rebuild of users loses email: the INSERT … SELECT that fills the new table does not copy it"
            ), "\(lint.stdout)")
        #expect(lint.stdout.contains("[sqlite-rebuild-loses-column]"))
    }
}

/// `mig lint --measure` against the PostgreSQL server the tests start.
@Suite(.postgres) struct LintMeasureTests {
    /// A PostgreSQL project of sequential versions whose shadow is the server at `shadowURL`.
    private static func configure(_ repo: BranchRepository, shadowURL: String) throws {
        try repo.git.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nversioning = \"sequential\"\ndialect = \"postgres\"\n\n[shadow]\n"
                + "url = \"\(shadowURL)\"\n")
    }

    @Test func theShadowShowsTheShareLockOfAnIndexAndTheRewriteOfATypeChange() throws {
        let repo = try BranchRepository()
        try Self.configure(repo, shadowURL: try PostgresTestServer.url(database: "postgres"))
        try repo.git.write(
            BranchRepository.path("0001_users"),
            "-- mig:up\nCREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, age integer);\n"
                + "-- mig:down\nDROP TABLE users;\n")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(
            BranchRepository.path("0002_users_email"),
            "-- mig:up\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ALTER COLUMN age TYPE bigint;\n"
                + "CREATE TABLE orders (id bigint);\nCREATE INDEX orders_id_idx ON orders (id);\n-- mig:down\nSELECT 1;\n"
        )
        try repo.git.commit("index users.email")

        let result = try repo.mig(["lint", "--measure"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("db/migrations/0002_users_email.sql:2: measured: SHARE on users (existing table)"))
        #expect(
            result.stdout.contains(
                "db/migrations/0002_users_email.sql:3: measured: ACCESS EXCLUSIVE on users (existing table); users rewritten"
            ))
        #expect(!result.stdout.contains("0002_users_email.sql:5: measured"))
        #expect(result.stdout.contains("[require-concurrent-index-creation]"))

        #expect(result.stdout.hasPrefix("measured in a shadow with 300 generated rows in each of 1 existing table(s)\n"))

        let json = try repo.mig(["lint", "--measure", "--format", "json"])
        #expect(json.stdout.contains("\"mode\" : \"ShareLock\""))
        #expect(json.stdout.contains("\"rewritten\" : [\n"))
        #expect(json.stdout.contains("\"generatedRows\" : ["))

        // check --shadow shows the same evidence beside the same findings.
        let check = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.hasPrefix("measured in a shadow with 300 generated rows in each of 1 existing table(s)\n"))
        #expect(
            check.stdout.contains(
                "db/migrations/0002_users_email.sql:3: measured: ACCESS EXCLUSIVE on users (existing table); users rewritten"
            ))
        #expect(check.stdout.contains("[require-concurrent-index-creation]"))
        // lint --measure kept its measurement: the same scripts on the same schema are not measured
        // again, and that is said; --no-cache measures again.
        #expect(check.stderr.contains("the lock measurement is the one kept in .migrate/cache"), "\(check.stderr)")
        let again = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(again.stdout == check.stdout)
        #expect(again.stderr.contains("the lock measurement is the one kept in .migrate/cache"), "\(again.stderr)")
        let fresh = try repo.mig(["check", "--shadow", "--base", "main", "--no-cache"])
        #expect(fresh.stdout == check.stdout)
        #expect(!fresh.stderr.contains("lock measurement is the one kept"))
        // Nothing is left to replay or measure: the shadow server is not even reached (this one does not exist).
        try Self.configure(repo, shadowURL: "postgres://mig@127.0.0.1:1/none")
        let offline = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(offline.stdout == check.stdout, "\(offline.stderr)")
        let plain = try repo.mig(["check", "--base", "main"])
        #expect(!plain.stdout.contains("measured"), "without --shadow nothing is replayed")
    }

    /// A merged migration that fails in the shadow is a shadow-failed finding of check --shadow;
    /// the measurement, which would replay it too, is left out rather than stopping the check.
    @Test func aMergedMigrationFailingInTheShadowIsAFindingNotAStop() throws {
        let repo = try BranchRepository()
        try Self.configure(repo, shadowURL: try PostgresTestServer.url(database: "postgres"))
        try repo.git.write(
            BranchRepository.path("0001_users"),
            "-- mig:up\nCREATE TABLE users (id bigint);\nSELECT no_such_function();\n-- mig:down\nDROP TABLE users;\n")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(
            BranchRepository.path("0002_index"), "-- mig:up\nCREATE INDEX users_id_idx ON users (id);\n-- mig:down\nSELECT 1;\n")
        try repo.git.commit("index")

        let check = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("[shadow-failed]"), "\(check.stdout)")
        #expect(!check.stdout.contains("measured"))
        #expect(
            check.stdout.contains("note: measurement skipped: a migration failed in the shadow (see shadow-failed)"),
            "\(check.stdout)")
        let json = try repo.mig(["check", "--shadow", "--base", "main", "--format", "json"])
        #expect(
            json.stdout.contains("\"measurementSkipped\" : \"a migration failed in the shadow (see shadow-failed)\""),
            "\(json.stdout)")
    }

    /// When no existing table can be filled, the first line says so rather than "0 generated rows
    /// in each of 0 existing table(s)".
    @Test func noFilledTableIsSaidInWords() throws {
        let repo = try BranchRepository()
        try Self.configure(repo, shadowURL: try PostgresTestServer.url(database: "postgres"))
        try repo.git.write(
            BranchRepository.path("0001_places"),
            "-- mig:up\nCREATE TABLE places (id bigint, at point NOT NULL);\n-- mig:down\nDROP TABLE places;\n")
        try repo.git.commit("places")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(
            BranchRepository.path("0002_index"), "-- mig:up\nCREATE INDEX places_id_idx ON places (id);\n-- mig:down\nSELECT 1;\n")
        try repo.git.commit("index")

        let lint = try repo.mig(["lint", "--measure"])
        #expect(
            lint.stdout.hasPrefix(
                "measured in a shadow; no existing table could be filled with generated rows; "
                    + "left empty: places (no value can be made for at (point))\n"), "\(lint.stdout)\(lint.stderr)")
    }

    /// The measurement runs the SQL `mig up` runs: placeholders replaced, and each migration in
    /// its transaction, so `SET LOCAL` and a temporary table dropped at COMMIT work as they will.
    @Test func theMeasurementRunsMigrationsAsTheRealRunDoes() throws {
        let repo = try BranchRepository()
        let shadowURL = try PostgresTestServer.url(database: "postgres")
        try repo.git.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"sql\"\ndialect = \"postgres\"\n\n[shadow]\nurl = \"\(shadowURL)\"\n\n"
                + "[placeholders]\ntable = \"people\"\n")
        try repo.git.write("sql/V1__people.sql", "CREATE TABLE ${table} (id bigint);\n")
        try repo.git.commit("people")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(
            "sql/V2__index.sql",
            "SET LOCAL lock_timeout = '1s';\nCREATE TEMP TABLE staging (id bigint) ON COMMIT DROP;\n"
                + "INSERT INTO staging SELECT id FROM ${table};\nCREATE INDEX people_id_idx ON ${table} (id);\n")
        try repo.git.commit("index")

        let check = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(check.status != 2, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("sql/V2__index.sql:4: measured: SHARE on people (existing table)"), "\(check.stdout)")
        #expect(!check.stdout.contains("failed in the shadow"), "\(check.stdout)")
    }
}
