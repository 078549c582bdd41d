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
}
