import Foundation
import MigTestSupport
import Testing

/// `mig check --shadow` and `mig shadow --base`: a reorder that changes the schema a deployed
/// database ends with, and one that does not.
@Suite struct DeployOrderDriftCommandTests {
    /// main: users, then (after the branch started) an audit copy of users;
    /// the branch: a column on users with a version before the audit copy.
    private func reorderedBranch(branchSQL: String) throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.write(BranchRepository.path("0001_users"), "-- mig:up\nCREATE TABLE users (id INTEGER);\n-- mig:down\nDROP TABLE users;\n")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(BranchRepository.path("0002_change"), "-- mig:up\n\(branchSQL)\n-- mig:down\nSELECT 1;\n")
        try repo.git.commit("change on the branch")
        try repo.git.checkout("main")
        try repo.git.write(
            BranchRepository.path("0003_audit"),
            "-- mig:up\nCREATE TABLE audit AS SELECT * FROM users;\n-- mig:down\nDROP TABLE audit;\n")
        try repo.git.commit("audit on main")
        try repo.git.checkout("feature")
        return repo
    }

    @Test func aReorderThatChangesTheSchemaIsOrderDrift() throws {
        let repo = try reorderedBranch(branchSQL: "ALTER TABLE users ADD COLUMN email TEXT;")
        let check = try repo.checkJSON(["--shadow", "--base", "main"])
        #expect(check.status == 1)
        #expect(check.codes.contains("reordered-version"))
        #expect(check.codes.contains("order-drift"))

        let shadow = try repo.mig(["shadow", "--base", "main", "--no-roundtrip"])
        #expect(shadow.status == 1)
        #expect(shadow.stderr.contains("db/migrations/0002_change.sql: error: a deployed database"))
        #expect(shadow.stderr.contains("[order-drift]"))
        #expect(shadow.stderr.contains("audit"))
        #expect(shadow.stderr.contains("email"))
    }

    @Test func aReorderThatLeavesTheSchemaAloneIsNoDrift() throws {
        let repo = try reorderedBranch(branchSQL: "CREATE TABLE tags (id INTEGER);")
        let check = try repo.checkJSON(["--shadow", "--base", "main"])
        #expect(check.codes.contains("reordered-version"))
        #expect(!check.codes.contains("order-drift"))

        let shadow = try repo.mig(["shadow", "--base", "main", "--no-roundtrip"])
        #expect(shadow.status == 0, "\(shadow.stderr)")
        #expect(shadow.stderr.contains("gives the same schema as version order"))
    }

    @Test func withoutShadowCheckReplaysNothing() throws {
        let repo = try reorderedBranch(branchSQL: "ALTER TABLE users ADD COLUMN email TEXT;")
        #expect(try repo.checkJSON(["--base", "main"]).codes == ["reordered-version"])
    }

    /// A Flyway project whose files use `${schema}`: the shadow replays them as `mig up` runs them.
    private func flywayBranch(placeholders: String) throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.write(
            ".migrate/config.toml",
            "[migrations]\ndir = \"db/migrations\"\nlayout = \"flyway\"\nrequire_down = false\n\(placeholders)")
        try repo.git.write("db/migrations/V1__users.sql", "CREATE TABLE ${prefix}users (id INTEGER);\n")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write("db/migrations/V2__email.sql", "ALTER TABLE ${prefix}users ADD COLUMN email TEXT;\n")
        try repo.git.commit("email")
        return repo
    }

    @Test func theShadowReplacesPlaceholdersAsUpDoes() throws {
        let repo = try flywayBranch(placeholders: "[placeholders]\nprefix = \"app_\"\n")
        let check = try repo.checkJSON(["--shadow", "--base", "main"])
        #expect(check.codes == [], "\(check.report)")
        #expect(check.status == 0)
        let shadow = try repo.mig(["shadow", "--base", "main", "--no-roundtrip"])
        #expect(shadow.status == 0, "\(shadow.stderr)")
    }

    @Test func anUndefinedPlaceholderIsAFindingWithItsLine() throws {
        let repo = try flywayBranch(placeholders: "")
        let check = try repo.mig(["check", "--shadow", "--base", "main"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("db/migrations/V1__users.sql:1: error: placeholder ${prefix} has no value"), "\(check.stdout)")
        #expect(check.stdout.contains("[shadow-failed]"))
    }

    @Test func aFailingRepeatableIsReportedWithTheSchemaFileKept() throws {
        let repo = try flywayBranch(placeholders: "[placeholders]\nprefix = \"app_\"\n")
        #expect(try repo.mig(["schema"]).status == 0)
        try repo.git.write("db/migrations/R__broken.sql", "CREATE VIEW broken AS SELEC 1;\n")
        try repo.git.commit("schema file and a broken repeatable")
        let check = try repo.checkJSON(["--shadow", "--base", "main"])
        #expect(check.status == 1)
        #expect(check.codes.contains("shadow-failed"), "\(check.report)")
    }
}
