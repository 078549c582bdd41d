import Foundation
import MigTestSupport
import Testing

/// `mig check` compares head with the base's tip as well as the merge base: what the base
/// already has is never the branch's change.
@Suite struct CheckBaseTipTests {
    private static let users = BranchRepository.text("0001_users", "CREATE TABLE users (id INTEGER, name TEXT);")

    @Test func aBaseEditAfterTheForkIsNotTheBranchsEvenOnceTheBranchMergesTheBase() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("main")
        try repo.git.write(BranchRepository.path("0001_users"), Self.users)
        try repo.git.commit("fix the users migration in place")
        try repo.git.checkout("feature")
        #expect(try repo.checkJSON().codes == [])

        try repo.git.merge("main")
        let check = try repo.checkJSON()
        #expect(check.status == 0)
        #expect(check.codes == [])
    }

    @Test func aBaseEditBroughtInBySquashingTheBaseIsNotTheBranchs() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("main")
        try repo.git.write(BranchRepository.path("0001_users"), Self.users)
        try repo.git.commit("fix the users migration in place")
        try repo.git.checkout("feature")
        // A squash merge leaves the merge base at the fork: only the base's tip has the edit.
        try repo.git.git(["merge", "-q", "--squash", "main"])
        try repo.git.commit("bring main in")
        let check = try repo.checkJSON()
        #expect(check.status == 0)
        #expect(check.codes == [])
    }

    @Test func theSameEditOnBothSidesIsNotAFinding() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(BranchRepository.path("0001_users"), Self.users)
        try repo.git.commit("the same fix on the branch")
        try repo.git.checkout("main")
        try repo.git.write(BranchRepository.path("0001_users"), Self.users)
        try repo.git.commit("the same fix on main")
        try repo.git.checkout("feature")
        #expect(try repo.checkJSON().codes == [])
    }

    @Test func anEditToTheDownPointsAtTheDownAndNamesTheCommitNotUncommittedChanges() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        let text = BranchRepository.text("0001_users").replacing("DROP TABLE", with: "DROP TABLE IF EXISTS")
        try repo.git.write(BranchRepository.path("0001_users"), text)
        let edit = try repo.git.commit("soften the down")

        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("db/migrations/0001_users.sql:4: error: 0001_users is already on main, "
            + "but this branch changes its down script in \(edit.prefix(10))"), "\(result.stdout)")
        #expect(!result.stdout.contains("uncommitted"))

        try repo.git.write(BranchRepository.path("0001_users"), Self.users.replacing("DROP TABLE", with: "DROP TABLE IF EXISTS"))
        let uncommitted = try repo.mig(["check"])
        #expect(uncommitted.stdout.contains("db/migrations/0001_users.sql:2: error: 0001_users is already on main, "
            + "but this branch changes its up and down scripts in \(edit.prefix(10))"), "\(uncommitted.stdout)")
        #expect(uncommitted.stdout.contains("and in uncommitted changes [edited-migration]"))
    }

    @Test func anEditToADownFileIsLocatedAtThatFile() throws {
        let repo = try BranchRepository()
        try repo.git.commit("users", files: [
            "db/migrations/0001_users.up.sql": "CREATE TABLE users (id INTEGER);\n",
            "db/migrations/0001_users.down.sql": "DROP TABLE users;\n",
        ])
        try repo.git.checkout("feature", create: true)
        try repo.git.commit("soften the down", files: ["db/migrations/0001_users.down.sql": "DROP TABLE IF EXISTS users;\n"])
        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("db/migrations/0001_users.down.sql:1: error: 0001_users is already on main, "
            + "but this branch changes its down script in "), "\(result.stdout)")
    }

    @Test func theSameMigrationAddedOnBothSidesWithDifferentContentHasDiverged() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(BranchRepository.path("0002_orders"), BranchRepository.text("0002_orders", "CREATE TABLE orders (id INTEGER);"))
        let ours = try repo.git.commit("orders on the branch")
        try repo.git.checkout("main")
        try repo.git.write(BranchRepository.path("0002_orders"), BranchRepository.text("0002_orders", "CREATE TABLE orders (id BIGINT);"))
        let theirs = try repo.git.commit("orders on main")
        try repo.git.checkout("feature")

        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("db/migrations/0002_orders.sql:2: error: 0002_orders is added both by this branch "
            + "(added in \(ours.prefix(10))"), "\(result.stdout)")
        #expect(result.stdout.contains("and by main (added in \(theirs.prefix(10))"))
        #expect(result.stdout.contains("), and their up scripts differ: the merge keeps one"))
        #expect(result.stdout.contains("[diverged-migration]"))
        #expect(try repo.checkJSON().codes == ["diverged-migration"])
    }

    @Test func theSameMigrationAddedIdenticallyOnBothSidesIsClean() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders on the branch", "0002_orders")
        try repo.git.checkout("main")
        try repo.commitMigrations("orders on main", "0002_orders")
        try repo.git.checkout("feature")
        #expect(try repo.checkJSON().codes == [])
    }

    @Test func editingAMigrationTheBranchMergedFromTheBaseIsAnEdit() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.git.checkout("main")
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("feature")
        try repo.git.merge("main")
        try repo.git.write(BranchRepository.path("0002_orders"), BranchRepository.text("0002_orders", "CREATE TABLE orders (n INTEGER);"))
        let edit = try repo.git.commit("change orders")

        let result = try repo.mig(["check"])
        #expect(result.stdout.contains("0002_orders is already on main, but this branch changes its up script in \(edit.prefix(10))"),
            "\(result.stdout)")
        #expect(try repo.checkJSON().codes == ["edited-migration"])
    }
}
