import Foundation
import MigTestSupport
import Testing

@Suite struct HistoryCommandTests {
    private func records(_ repo: BranchRepository, _ arguments: [String] = []) throws -> [String: [String: Any]] {
        let result = try repo.mig(["history", "--format", "json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let migrations = try #require(report["migrations"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: migrations.map { ("\($0["version"]!)_\($0["name"]!)", $0) })
    }

    private func commit(_ record: [String: Any]?, _ key: String) -> String? {
        (record?[key] as? [String: Any])?["id"] as? String
    }

    @Test func namesAddingModifyingDeletingAndRenamingCommits() throws {
        let repo = try BranchRepository()
        let added = try repo.commitMigrations("users", "0001_users", "0002_orders", "0003_items")
        var modified = ""
        try repo.git.as("Grace Hopper", "grace@example.com") {
            try repo.git.write(BranchRepository.path("0001_users"), BranchRepository.text("0001_users", "CREATE TABLE users (name TEXT);"))
            modified = try repo.git.commit("change users")
        }
        try repo.git.remove(BranchRepository.path("0002_orders"))
        let deleted = try repo.git.commit("drop orders")
        try repo.git.git(["mv", BranchRepository.path("0003_items"), BranchRepository.path("0003_products")])
        let renamed = try repo.git.commit("rename items")

        let history = try records(repo)
        #expect(commit(history["0001_users"], "added") == added)
        #expect((history["0001_users"]?["added"] as? [String: Any])?["author"] as? String == "Ada Lovelace")
        #expect((history["0001_users"]?["modified"] as? [[String: Any]])?.map { $0["author"] as? String } == ["Grace Hopper"])
        #expect((history["0001_users"]?["modified"] as? [[String: Any]])?.first?["id"] as? String == modified)
        #expect(commit(history["0002_orders"], "deleted") == deleted)
        #expect(commit(history["0003_items"], "deleted") == renamed)
        #expect(history["0003_items"]?["renamedTo"] as? String == "0003_products")
        #expect(history["0003_products"]?["renamedFrom"] as? String == "0003_items")
        #expect(commit(history["0003_products"], "added") == renamed)

        let older = try records(repo, ["HEAD~2"])
        #expect(older["0002_orders"]?["deleted"] == nil)
        #expect((older["0002_orders"]?["files"] as? [String]) == ["0002_orders.sql"])

        let text = try repo.mig(["history"])
        #expect(text.stdout.contains("renamed to 0003_products in \(renamed.prefix(10))"))
    }

    @Test func marksMigrationsThatReachedTheBranchAfterAHigherVersion() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("slow", create: true)
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.checkout("main")
        try repo.git.checkout("fast", create: true)
        try repo.commitMigrations("items", "0003_items")
        try repo.git.checkout("main")
        let fastMerge = try repo.git.merge("fast")
        let slowMerge = try repo.git.merge("slow")

        let history = try records(repo, ["main"])
        #expect(history["0002_orders"]?["reachedAfter"] as? String == "0003_items")
        #expect(commit(history["0002_orders"], "reached") == slowMerge)
        #expect(commit(history["0003_items"], "reached") == fastMerge)
        #expect(history["0003_items"]?["reachedAfter"] == nil)
        #expect(history["0001_users"]?["reachedAfter"] == nil)
        let text = try repo.mig(["history", "main"])
        #expect(text.stdout.contains("reordered: reached main after 0003_items"))
        #expect(try repo.mig(["history", "nope"]).stderr.contains("`nope` names no commit in this repository"))
    }
    /// goose's hybrid versions: a timestamp renamed to the next sequential number (`goose fix`)
    /// leaves the line; neither it nor what comes after is reordered against its old name.
    @Test func aVersionRenamedAwayIsNotOneThatLaterMigrationsComeAfter() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("first", "20230101120000_a")
        try repo.commitMigrations("second", "00001_b")
        try repo.git.git(["mv", BranchRepository.path("20230101120000_a"), BranchRepository.path("00002_a")])
        try repo.git.commit("goose fix")
        try repo.commitMigrations("third", "00003_c")
        let history = try records(repo)
        #expect(history["00002_a"]?["reachedAfter"] == nil)
        #expect(history["00003_c"]?["reachedAfter"] == nil)
        #expect(history["00001_b"]?["reachedAfter"] as? String == "20230101120000_a")
    }

    /// Trees some old tools wrote give a folder's mode as `040000`; Git reads them as folders, and
    /// so must the history, or the migrations would seem deleted there and added again after.
    @Test func aFolderWithAZeroPaddedModeIsStillAFolder() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        var tree: [UInt8] = []
        for line in try repo.git.git(["ls-tree", "HEAD"]).split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            let info = fields[0].split(separator: " ")
            let mode = info[1] == "tree" ? "040000" : String(info[0])
            tree += Array("\(mode) \(fields[1])".utf8) + [0]
            let hex = Array(info[2].utf8)
            tree += stride(from: 0, to: 40, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        }
        try repo.git.write("padded.tree", bytes: tree)
        let padded = try repo.git.git(["hash-object", "-w", "-t", "tree", "--literally", "padded.tree"])
        try repo.git.remove("padded.tree")
        let commit = try repo.git.git(["commit-tree", padded, "-p", "HEAD", "-m", "rewritten by an old tool"])
        _ = try repo.git.git(["update-ref", "HEAD", commit])
        try repo.commitMigrations("orders", "0002_orders")
        let history = try records(repo)
        #expect(history["0001_users"]?["deleted"] == nil)
        #expect(history["0001_users"]?["removals"] == nil || (history["0001_users"]?["removals"] as? [Any])?.isEmpty == true)
        #expect(history["0002_orders"]?["reachedAfter"] == nil)
    }

    @Test func migrationsAddedInOneCommitAreNotReorderedAgainstEachOther() throws {
        let repo = try BranchRepository()
        // Git lists the files by path, so 10_c comes before 9_b in the commit's diff.
        try repo.commitMigrations("first batch", "9_b", "10_c")
        try repo.commitMigrations("second batch", "11_d")
        let history = try records(repo)
        #expect(history["9_b"]?["reachedAfter"] == nil)
        #expect(history["10_c"]?["reachedAfter"] == nil)
        #expect(!(try repo.mig(["history"])).stdout.contains("reordered"))
    }

    @Test func showsAMigrationDeletedAndLaterAddedAgain() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users", "0002_orders")
        try repo.git.remove(BranchRepository.path("0002_orders"))
        let deleted = try repo.git.commit("drop orders")
        let restored = try repo.commitMigrations("bring orders back", "0002_orders")

        let history = try records(repo)
        #expect(history["0002_orders"]?["deleted"] == nil)
        let removals = try #require(history["0002_orders"]?["removals"] as? [[String: Any]])
        #expect(removals.count == 1)
        #expect(commit(removals.first, "deleted") == deleted)
        #expect(commit(removals.first, "restored") == restored)
        let text = try repo.mig(["history"])
        #expect(text.stdout.contains("present; deleted in \(deleted.prefix(10)), re-added in \(restored.prefix(10))"))
    }
}

@Suite struct HistoryCacheTests {
    @Test func aSecondRunReadsTheCacheWhichIsIgnoredByGitAndSafeToBreak() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.commit("config and more", files: ["README": "x\n"])
        let first = try repo.mig(["history", "--format", "json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try repo.git.git(["status", "--porcelain"]).isEmpty)

        let cache = repo.url.appending(path: ".migrate/cache")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasPrefix("history-") }
        #expect(entries.count == 1)
        let entry = cache.appending(path: entries[0])
        let stored = try String(contentsOf: entry, encoding: .utf8)
        try Data(stored.replacing("Ada Lovelace", with: "From The Cache").utf8).write(to: entry)
        #expect(try repo.mig(["history", "--format", "json"]).stdout.contains("From The Cache"))
        #expect(try repo.mig(["history", "--format", "json", "--no-cache"]).stdout == first.stdout)

        try Data("not json".utf8).write(to: entry)
        let recomputed = try repo.mig(["history", "--format", "json"])
        #expect(recomputed.status == 0)
        #expect(recomputed.stdout == first.stdout)

        try repo.commitMigrations("orders", "0002_orders")
        let moved = try repo.mig(["history", "--format", "json"])
        #expect(moved.stdout.contains("0002"))
        try FileManager.default.removeItem(at: cache)
        #expect(try repo.mig(["history", "--format", "json"]).stdout == moved.stdout)
    }
}
