import Foundation
import MigTestSupport
import Testing

/// The PostgreSQL shadow is like a real server: its superuser is `postgres`, and it has the roles
/// and extensions that `[shadow] roles` and `[shadow] extensions` declare.
@Suite(.postgres) struct PostgresShadowRolesTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
        try scratch.write(
            "db/migrations/0001_owned.sql",
            """
            -- mig:up
            CREATE TABLE notes (id serial PRIMARY KEY, body text);
            ALTER TABLE notes OWNER TO postgres;
            GRANT SELECT ON notes TO postgres;
            -- mig:down
            DROP TABLE notes;

            """)
        try scratch.write(
            "db/migrations/0002_anon.sql",
            """
            -- mig:up
            GRANT SELECT ON notes TO anon;
            CREATE TABLE secrets (id serial PRIMARY KEY, digest bytea DEFAULT digest('x', 'sha256'));
            -- mig:down
            DROP TABLE secrets;
            REVOKE SELECT ON notes FROM anon;

            """)
    }

    private func config(_ shadow: String) throws {
        try scratch.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\ndialect = \"postgres\"\n\n[shadow]\n\(shadow)")
    }

    private func shadow(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(["shadow"] + arguments, in: scratch.url)
    }

    @Test func declaredRolesAndExtensionsAndThePostgresSuperuserPass() throws {
        try config("roles = [\"anon\"]\nextensions = [\"pgcrypto\"]\n")
        let result = try shadow()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("shadow replay passed: 2 migration(s)"), "\(result.stderr)")
    }

    @Test func withoutTheDeclarationsTheShadowSaysWhatIsMissing() throws {
        try config("")
        let result = try shadow()
        #expect(result.status == 1)
        #expect(result.stderr.contains("role \"anon\" does not exist"), "\(result.stderr)")
    }

    @Test func aGivenServerMustHaveTheRoles() throws {
        try config("roles = [\"mig_no_such_role\"]\n")
        let result = try shadow("--shadow-url", try PostgresTestServer.url(database: "postgres"))
        #expect(result.status == 2)
        #expect(result.stderr.contains("has no role mig_no_such_role ([shadow] roles)"), "\(result.stderr)")
    }
}
