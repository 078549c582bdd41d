import Foundation
import MigTestSupport
import Testing

@Suite struct MergeGuardTests {
    /// A repository set up by `mig init` (which turns the guard on), with one migration on main.
    private func initializedRepository() throws -> BranchRepository {
        let repo = try BranchRepository()
        try repo.git.remove(".migrate/config.toml")
        try repo.git.write("db/migrations/0001_users.sql", BranchRepository.text("0001_users"))
        let initialize = try repo.mig(["init"])
        #expect(initialize.status == 0, "\(initialize.stderr)")
        #expect(initialize.stdout.contains("wrote .migrate/guard"))
        #expect(try repo.git.read(".migrate/config.toml").contains("guard = true"))
        try repo.git.commit("adopt mig")
        return repo
    }

    /// `mig new` with SQL written into the new file, as a person would.
    private func newMigration(_ repo: BranchRepository, _ name: String) throws {
        let created = try repo.mig(["new", name])
        #expect(created.status == 0, "\(created.stderr)")
        let path = try #require(created.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        try repo.git.write(path, "-- mig:up\nCREATE TABLE \(name) (id INTEGER);\n-- mig:down\nDROP TABLE \(name);\n")
        try repo.git.commit("add \(name)")
    }

    @Test func twoBranchesAddingMigrationsConflictInTheGuard() throws {
        let repo = try initializedRepository()
        let guardBefore = try repo.git.read(".migrate/guard")
        #expect(guardBefore.contains("newest 0001\n0001_users "))
        try repo.git.checkout("feature", create: true)
        try newMigration(repo, "orders")
        #expect(try repo.git.read(".migrate/guard").contains("0002_orders "))
        try repo.git.checkout("main")
        try newMigration(repo, "invoices")
        try repo.git.checkout("feature")

        let merge = try repo.git.git(["merge", "--no-edit", "main"], allowFailure: true)
        #expect(merge.contains("CONFLICT (content): Merge conflict in .migrate/guard"))
        #expect(try repo.git.git(["diff", "--name-only", "--diff-filter=U"]) == ".migrate/guard")

        let check = try repo.mig(["check"])
        #expect(check.status == 1)
        #expect(check.stdout.contains("the merge-conflict guard has conflict markers"))
        #expect(check.stdout.contains("[duplicate-version]"))

        let fix = try repo.mig(["fix"])
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(fix.stdout.contains("renamed db/migrations/0002_orders.sql → db/migrations/0003_orders.sql"))
        #expect(fix.stdout.contains("updated .migrate/guard"))
        let after = try repo.mig(["check"])
        #expect(after.status == 0, "\(after.stdout)")
    }

    @Test func branchesAddingAnOlderAndANewerVersionStillConflict() throws {
        let repo = try initializedRepository()
        try repo.git.checkout("feature", create: true)
        try repo.git.write("db/migrations/0005_late.sql", BranchRepository.text("0005_late"))
        #expect(try repo.mig(["fix", "--base", "HEAD"]).status == 0)
        try repo.git.commit("late")
        try repo.git.checkout("main")
        try repo.git.write("db/migrations/0003_early.sql", BranchRepository.text("0003_early"))
        #expect(try repo.mig(["fix", "--base", "HEAD"]).status == 0)
        try repo.git.commit("early")
        let merge = try repo.git.git(["merge", "--no-edit", "feature"], allowFailure: true)
        #expect(merge.contains("Merge conflict in .migrate/guard"))
    }

    /// A migration file Git ignores (a local seed) is not in what `mig check` reads, so `mig new`
    /// leaves it out of the guard too: the guard is not stale, and `mig fix` has nothing to update.
    @Test func anIgnoredMigrationFileIsNotInTheGuard() throws {
        let repo = try initializedRepository()
        try repo.git.write(".gitignore", "db/migrations/0099_local_seed.sql\n")
        try repo.git.commit("ignore local seeds")
        try repo.git.write("db/migrations/0099_local_seed.sql", BranchRepository.text("0099_local_seed"))
        try newMigration(repo, "orders")
        #expect(!(try repo.git.read(".migrate/guard")).contains("0099_local_seed"))
        #expect(!(try repo.checkJSON().codes.contains("stale-guard")))
        let fix = try repo.mig(["fix"])
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(!fix.stdout.contains("updated .migrate/guard"), "\(fix.stdout)")
    }

    @Test func aStaleGuardIsReportedAndAMissingOneIsNot() throws {
        let repo = try initializedRepository()
        try repo.git.write("db/migrations/0002_orders.sql", BranchRepository.text("0002_orders"))
        let stale = try repo.checkJSON()
        #expect(stale.status == 1)
        #expect(stale.codes == ["stale-guard"])

        try repo.git.remove(".migrate/guard")
        #expect(try repo.checkJSON().codes == [])
    }
}
