import Foundation
import MigTestSupport
import Testing

@Suite struct CheckCommandTests {
    /// A migration folder that is a link to another folder of the repository is followed in every
    /// commit, as a checkout follows it, so the base's migrations are there to compare with.
    @Test func aLinkedMigrationFolderIsReadAtTheBaseToo() throws {
        let repo = try BranchRepository()
        try repo.git.write("shared/migrations/0001_users.sql", BranchRepository.text("0001_users"))
        try FileManager.default.createDirectory(at: repo.url.appending(path: "db"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appending(path: "db/migrations").path, withDestinationPath: "../shared/migrations")
        try repo.git.commit("users, in a shared folder")
        try repo.git.checkout("feature", create: true)
        try repo.git.write("shared/migrations/0002_orders.sql", BranchRepository.text("0002_orders"))
        try repo.git.commit("orders")
        try repo.git.checkout("main")
        try repo.git.write("shared/migrations/0002_invoices.sql", BranchRepository.text("0002_invoices"))
        try repo.git.commit("invoices")
        try repo.git.checkout("feature")
        #expect(try repo.checkJSON().codes == ["duplicate-version"])
    }

    @Test func twoBranchesAddingTheSameVersionIsADuplicate() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders on the branch", "0002_orders")
        try repo.git.checkout("main")
        try repo.git.as("Grace Hopper", "grace@example.com") { try repo.commitMigrations("invoices on main", "0002_invoices") }
        try repo.git.checkout("feature")

        let result = try repo.mig(["check", "--base", "main"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("db/migrations/0002_orders.sql:2: error: version 0002 of 0002_orders"))
        #expect(result.stdout.contains("Ada Lovelace"))
        #expect(result.stdout.contains("0002_invoices on main"))
        #expect(result.stdout.contains("Grace Hopper"))
        #expect(result.stdout.contains("[duplicate-version]"))
        #expect(result.stdout.contains("mig fix"))
    }

    @Test func aMigrationThatLinksToAFileChangesWhenThatFileDoes() throws {
        let repo = try BranchRepository()
        try repo.git.write("shared/users.sql", BranchRepository.text("0001_users"))
        try FileManager.default.createDirectory(
            at: repo.url.appending(path: "db/migrations"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: repo.url.appending(path: BranchRepository.path("0001_users")).path,
            withDestinationPath: "../../shared/users.sql")
        try repo.git.commit("users, linked from a shared file")
        try repo.git.checkout("feature", create: true)
        #expect(try repo.checkJSON().codes == [], "a link read from Git is the file it points at, as on disk")

        try repo.git.write("shared/users.sql", BranchRepository.text("0001_users", "CREATE TABLE users (id TEXT);"))
        try repo.git.commit("edit the linked file")
        let check = try repo.checkJSON()
        #expect(check.status == 1)
        #expect(check.codes == ["edited-migration"])
    }

    @Test func anOlderTimestampThanTheBasesNewestIsAReorderThatFixResolves() throws {
        let repo = try BranchRepository(versioning: "timestamp")
        try repo.commitMigrations("users", "20240101000000_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders", "20240105000000_orders", "20240106000000_items")
        try repo.git.checkout("main")
        try repo.commitMigrations("invoices", "20240110000000_invoices")
        try repo.git.checkout("feature")

        let check = try repo.checkJSON()
        #expect(check.status == 1)
        #expect(check.codes == ["reordered-version", "reordered-version"])
        #expect(check.report["base"] as? String == "main")
        let text = try repo.mig(["check"])
        #expect(text.stdout.contains("20240105000000_orders (added in "))
        #expect(text.stdout.contains("sorts before 20240110000000_invoices, already on main"))
        #expect(text.stdout.contains("hint: run `mig fix` to give it a version after 20240110000000"))

        let dryRun = try repo.mig(["fix", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("would rename db/migrations/20240105000000_orders.sql → "))
        #expect(repo.git.url.appending(path: BranchRepository.path("20240105000000_orders")).isReachableFile)

        let fix = try repo.mig(["fix", "--format", "json"])
        #expect(fix.status == 0, "\(fix.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: Data(fix.stdout.utf8)) as? [String: Any])
        let renames = try #require(outcome["renames"] as? [[String: Any]])
        let newVersions = renames.compactMap { $0["to"] as? String }
        #expect(newVersions.count == 2)
        #expect(newVersions == newVersions.sorted())
        #expect(newVersions.allSatisfy { $0 > "20240110000000" && $0.count == 14 })
        let moved = try repo.git.read(BranchRepository.path("\(newVersions[0])_orders"))
        #expect(moved == BranchRepository.text("20240105000000_orders"))

        let after = try repo.mig(["check"])
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(after.stdout.hasPrefix("ok: no problems found"))
    }

    @Test func fixRenumbersBranchTimestampsIntoTheSequentialOrderOfMain() throws {
        let repo = try BranchRepository(versioning: "sequential")
        try repo.commitMigrations("first", "0001_users", "0002_orders")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("items", "20240115120000_items")
        try repo.git.checkout("main")
        try repo.commitMigrations("third", "0003_invoices")
        try repo.git.checkout("feature")
        try repo.git.merge("main")

        let fix = try repo.mig(["fix"])
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(fix.stdout == "renamed db/migrations/20240115120000_items.sql → db/migrations/0004_items.sql\n")
        #expect(try repo.git.read(BranchRepository.path("0004_items")) == BranchRepository.text("20240115120000_items"))
        #expect(try repo.checkJSON().codes == [])
    }

    @Test func editingAMergedMigrationIsAnEditButALineEndingChangeIsNot() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users", "0002_orders")
        try repo.git.checkout("feature", create: true)
        let crlf = BranchRepository.text("0002_orders").replacing("\n", with: "\r\n")
        try repo.git.write(BranchRepository.path("0002_orders"), bytes: [0xEF, 0xBB, 0xBF] + Array(crlf.utf8))
        try repo.git.commit("windows line endings and a BOM")
        #expect(try repo.checkJSON().status == 0)

        try repo.git.write(BranchRepository.path("0001_users"), BranchRepository.text("0001_users", "CREATE TABLE users (id INTEGER, name TEXT);"))
        let edit = try repo.git.commit("add a column in place")
        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("0001_users is already on main, but this branch changes its up script in \(edit.prefix(10))"))
        #expect(result.stdout.contains("[edited-migration]"))
    }

    @Test func deletingOrRenamingAMergedMigrationIsADeletion() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users", "0002_orders")
        try repo.git.checkout("feature", create: true)
        try repo.git.remove(BranchRepository.path("0001_users"))
        try repo.git.commit("drop the users migration")
        try repo.git.git(["mv", BranchRepository.path("0002_orders"), BranchRepository.path("0002_purchases")])
        try repo.git.commit("rename orders")

        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("0001_users is already on main, but this branch deletes it in "))
        #expect(result.stdout.contains("0002_orders is already on main, but this branch renames it to 0002_purchases in "))
        #expect(try repo.checkJSON().codes == ["deleted-migration", "deleted-migration"])
    }

    @Test func migrationsThatCameThroughACrissCrossMergeAreNotFlagged() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.git.checkout("main")
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("feature")
        try repo.commitMigrations("unrelated", "0003_items")
        try repo.git.checkout("main")
        try repo.git.git(["merge", "-q", "--no-ff", "--no-edit", "feature~0"])
        try repo.git.checkout("feature")
        try repo.git.git(["merge", "-q", "--no-ff", "--no-edit", "main~1"])
        try repo.commitMigrations("payments", "0004_payments")
        #expect(try repo.checkJSON().codes == [])

        try repo.git.checkout("main")
        try repo.commitMigrations("invoices", "0005_invoices")
        try repo.git.checkout("feature")
        let check = try repo.checkJSON()
        #expect(check.status == 1)
        #expect(check.codes == ["reordered-version"])
    }

    @Test func anUncommittedMigrationCountsAsHeads() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users", "0002_orders")
        try repo.git.checkout("feature", create: true)
        try repo.git.write(BranchRepository.path("0002_items"), BranchRepository.text("0002_items"))

        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("version 0002 of 0002_items (not committed yet) is also used by 0002_orders on main (already there before this branch)"))
    }

    @Test func detachedHeadAndLinkedWorktreeCheckTheCheckedOutCommit() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("main")
        try repo.commitMigrations("invoices", "0003_invoices")

        let worktree = repo.scratch.url.appending(path: "feature-worktree")
        try repo.git.git(["worktree", "add", "-q", worktree.path, "feature"])
        let inWorktree = try repo.checkJSON(in: worktree)
        #expect(inWorktree.status == 1)
        #expect(inWorktree.codes == ["reordered-version"])

        try repo.git.git(["checkout", "-q", "--detach", "feature~0"])
        let detached = try repo.checkJSON()
        #expect(detached.codes == ["reordered-version"])
        #expect(detached.report["headCommit"] as? String == (try repo.git.git(["rev-parse", "feature"])))
    }

    @Test func aShallowCloneStopsWithAHintToFetchEverything() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.commitMigrations("orders", "0002_orders")
        let clone = repo.scratch.url.appending(path: "shallow")
        try repo.git.git(["clone", "-q", "--depth", "1", "file://" + repo.url.path, clone.path])

        let result = try repo.mig(["check", "--base", "origin/main"], in: clone)
        #expect(result.status == 2)
        #expect(result.stderr.contains("shallow clone"))
        #expect(result.stderr.contains("git fetch --unshallow"))
        let history = try repo.mig(["history"], in: clone)
        #expect(history.status == 2)
        #expect(history.stderr.contains("git fetch --unshallow"))
    }

    @Test func aShallowCloneWhoseBaseWasFetchedShallowSaysSoInCheckAndFix() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("items", "0003_items")
        try repo.commitMigrations("prices", "0004_prices")
        try repo.git.checkout("main")
        try repo.commitMigrations("invoices", "0005_invoices")
        let clone = repo.scratch.url.appending(path: "shallow")
        try repo.git.git(["clone", "-q", "--depth", "2", "--branch", "feature", "file://" + repo.url.path, clone.path])
        try GitFixture(at: clone).git(["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"])

        for command in [["check"], ["fix", "--dry-run"]] {
            let result = try repo.mig(command + ["--base", "origin/main"], in: clone)
            #expect(result.status == 2)
            #expect(result.stderr.contains("this is a shallow clone"), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("git fetch --unshallow"))
            #expect(result.stderr.contains("fetch-depth: 0"))
            #expect(!result.stderr.contains("object not found"))
        }
    }

    @Test func environmentProblemsExitWithTwoAndSayWhatToDo() throws {
        let scratch = try ScratchDirectory()
        let notRepository = try MigProcess.run(["check"], in: scratch.url)
        #expect(notRepository.status == 2)
        #expect(notRepository.stderr.contains("is not inside a Git repository"))

        let unborn = try GitFixture.initialize(at: scratch.url.appending(path: "unborn"))
        let noCommits = try MigProcess.run(["check"], in: unborn.url)
        #expect(noCommits.status == 2)
        #expect(noCommits.stderr.contains("no commits yet on branch main"))

        let bare = try GitFixture.initialize(at: scratch.url.appending(path: "bare.git"), bare: true)
        let bareResult = try MigProcess.run(["check"], in: bare.url)
        #expect(bareResult.status == 2)
        #expect(bareResult.stderr.contains("bare repository"))

        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        let missingBase = try repo.mig(["check", "--base", "release"])
        #expect(missingBase.status == 2)
        #expect(missingBase.stderr.contains("the base `release` is not in this repository"))
        try repo.git.git(["branch", "-m", "main", "trunk"])
        let noDefault = try repo.mig(["check"])
        #expect(noDefault.status == 2)
        #expect(noDefault.stderr.contains("found none of origin/HEAD, main or master"))
    }

    @Test func basesResolveLikeGit() throws {
        let repo = try BranchRepository()
        let first = try repo.commitMigrations("users", "0001_users")
        try repo.git.git(["tag", "-a", "v1", "-m", "release 1"])
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.git(["config", "migtest.unused", "1"])
        for base in ["main", "HEAD~1", "v1", String(first.prefix(7)), first] {
            let check = try repo.checkJSON(["--base", base])
            #expect(check.status == 0, "\(base)")
            #expect(check.report["base"] as? String == base)
        }
        try repo.git.write(".migrate/config.toml", try repo.git.read(".migrate/config.toml") + "\n[git]\nbase = \"v1\"\n")
        #expect(try repo.checkJSON().report["base"] as? String == "v1")
        #expect(try repo.checkJSON(["--base", "main"]).report["base"] as? String == "main")
        try repo.git.git(["checkout", "-q", "--", ".migrate/config.toml"])
        let clone = repo.scratch.url.appending(path: "clone")
        try repo.git.git(["clone", "-q", "file://" + repo.url.path, clone.path])
        let fromClone = try repo.checkJSON(in: clone)
        #expect(fromClone.report["base"] as? String == "origin/HEAD")
        #expect(try repo.checkJSON(["--base", "origin/main"], in: clone).status == 0)
    }
}

extension URL {
    var isReachableFile: Bool { FileManager.default.fileExists(atPath: path) }
}

@Suite struct FixLayoutTests {
    @Test func fixRenamesEveryFileOfADirectoryLayoutMigration() throws {
        let repo = try BranchRepository()
        func add(_ identifier: String) throws {
            try repo.git.write("db/migrations/\(identifier)/up.sql", "CREATE TABLE t\(identifier.prefix(4)) (id INTEGER);\n")
            try repo.git.write("db/migrations/\(identifier)/down.sql", "DROP TABLE t\(identifier.prefix(4));\n")
        }
        try add("0001_users")
        try repo.git.commit("users")
        try repo.git.checkout("feature", create: true)
        try add("0002_orders")
        try repo.git.commit("orders")
        try repo.git.checkout("main")
        try add("0002_invoices")
        try repo.git.commit("invoices")
        try repo.git.checkout("feature")
        #expect(try repo.checkJSON().codes == ["duplicate-version"])

        let fix = try repo.mig(["fix"])
        #expect(fix.status == 0, "\(fix.stderr)")
        #expect(fix.stdout.contains("renamed db/migrations/0002_orders/down.sql → db/migrations/0003_orders/down.sql"))
        #expect(fix.stdout.contains("renamed db/migrations/0002_orders/up.sql → db/migrations/0003_orders/up.sql"))
        #expect(!FileManager.default.fileExists(atPath: repo.url.appending(path: "db/migrations/0002_orders").path))
        #expect(try repo.git.read("db/migrations/0003_orders/up.sql") == "CREATE TABLE t0002 (id INTEGER);\n")
        #expect(try repo.checkJSON().codes == [])
    }
}
