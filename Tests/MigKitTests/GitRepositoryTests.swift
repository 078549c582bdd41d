import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct GitRepositoryTests {
    let scratch: ScratchDirectory
    let git: GitFixture

    init() throws {
        scratch = try ScratchDirectory()
        git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
    }

    @Test func resolvesRevisionsLikeGit() throws {
        let first = try git.commit("first", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n"])
        try git.git(["tag", "v1"])
        let second = try git.commit("second", files: ["README": "hello\n"])
        let repository = try GitRepository(discoveringFrom: git.url.appending(path: "db"))
        #expect(try repository.commitID(resolving: "HEAD").hex == second)
        #expect(try repository.commitID(resolving: "main").hex == second)
        #expect(try repository.commitID(resolving: "HEAD~1").hex == first)
        #expect(try repository.commitID(resolving: "v1").hex == first)
        #expect(try repository.commitID(resolving: String(first.prefix(8))).hex == first)
        #expect(try repository.existingCommitID(resolving: "no-such-branch") == nil)
        let failure = #expect(throws: GitError.self) { try repository.commitID(resolving: "no-such-branch") }
        #expect(failure?.isNotFound == true)
        #expect(failure?.description.contains("no-such-branch") == true)
    }

    @Test func findsTheMergeBaseAndReadsOldCommitsWithoutCheckout() throws {
        let base = try git.commit("base", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n"])
        try git.checkout("side", create: true)
        let side = try git.commit("side", files: ["db/migrations/0002_b.sql": "-- mig:up\nSELECT 2;\n"])
        try git.checkout("main")
        try git.commit("main", files: ["db/migrations/0003_c.sql": "-- mig:up\nSELECT 3;\n"])
        let repository = try GitRepository(discoveringFrom: git.url)
        let mergeBase = try repository.mergeBase(
            try repository.commitID(resolving: "main"), try repository.commitID(resolving: "side"))
        #expect(mergeBase?.hex == base)

        let source = try GitTreeSource(
            repository: repository, commit: try repository.commitID(resolving: side), directory: "db/migrations",
            displayPrefix: "db/migrations")
        let catalog = try CatalogLoader().load(from: source)
        #expect(catalog.migrations.map(\.identifier) == ["0001_a", "0002_b"])
        #expect(source.displayPath(of: "0002_b.sql") == "db/migrations/0002_b.sql")
        let missing = try GitTreeSource(
            repository: repository, commit: try repository.commitID(resolving: base), directory: "elsewhere",
            displayPrefix: "elsewhere")
        #expect(try missing.filePaths().isEmpty)
    }

    @Test func theWorkingTreeLeavesOutIgnoredNewFilesButKeepsTrackedOnesAsHeadDoes() throws {
        try git.commit(
            "base",
            files: [
                "db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n",
                // Committed before the ignore rule existed: still in head, so still a migration.
                "db/migrations/0002_kept.sql": "-- mig:up\nSELECT 2;\n",
            ])
        try git.commit("ignore", files: [".gitignore": "db/migrations/0002_*\ndb/migrations/*.local.sql\n"])
        try git.write("db/migrations/0003_new.sql", "-- mig:up\nSELECT 3;\n")
        try git.write("db/migrations/0004_scratch.local.sql", "-- mig:up\nSELECT 4;\n")
        let repository = try GitRepository(discoveringFrom: git.url)
        let source = WorkingTreeSource(
            files: DirectorySource(directory: git.url.appending(path: "db/migrations"), displayPrefix: "db/migrations"),
            repository: repository, repositoryPath: "db/migrations")
        #expect(try source.filePaths() == ["0001_a.sql", "0002_kept.sql", "0003_new.sql"])
    }

    @Test func aSubmoduleInTheMigrationFolderIsAFindingNotASilentSkip() throws {
        let first = try git.commit("base", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n"])
        try git.git(["update-index", "--add", "--cacheinfo", "160000,\(first),db/migrations/0002_shared"])
        // Committed straight from the index: `git add -A` would drop a submodule with no checkout.
        try git.git(["commit", "-q", "-m", "add a submodule"])
        let withSubmodule = try git.git(["rev-parse", "HEAD"])
        let repository = try GitRepository(discoveringFrom: git.url)
        let source = try GitTreeSource(
            repository: repository, commit: try repository.commitID(resolving: withSubmodule),
            directory: "db/migrations", displayPrefix: "db/migrations")
        let catalog = try CatalogLoader().load(from: source)
        #expect(catalog.migrations.map(\.identifier) == ["0001_a"])
        let finding = catalog.diagnostics.first { $0.location?.path == "db/migrations/0002_shared" }
        #expect(finding?.code == .unusableFile)
        #expect(finding?.message.contains("submodule") == true)
    }

    @Test func historyChargesMergesOnlyWithTheirOwnChanges() throws {
        try git.commit("base", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n", "other.txt": "x\n"])
        try git.checkout("side", create: true)
        let side = try git.commit("side", files: ["db/migrations/0002_b.sql": "-- mig:up\nSELECT 2;\n"])
        try git.checkout("main")
        try git.commit("unrelated", files: ["other.txt": "y\n"])
        try git.merge("side")
        let repository = try GitRepository(discoveringFrom: git.url)
        let reader = MigrationHistoryReader(repository: repository, directory: "db/migrations")
        let events = try reader.events(from: try repository.commitID(resolving: "HEAD"))
        #expect(events.map(\.kind) == [.added, .added])
        #expect(events.map(\.path) == ["0001_a.sql", "0002_b.sql"])
        #expect(events.last?.commit.id.hex == side)
        #expect(events.last?.commit.author == "Ada Lovelace")
        #expect(events.last?.commit.summary == "side")
    }

    @Test func discoversALinkedWorktree() throws {
        try git.commit("base", files: ["a.txt": "a\n"])
        let worktree = scratch.url.appending(path: "linked")
        try git.git(["worktree", "add", "-q", "-b", "other", worktree.path])
        let repository = try GitRepository(discoveringFrom: worktree)
        #expect(repository.workingDirectory?.resolvingSymlinksInPath().path == worktree.resolvingSymlinksInPath().path)
        #expect(repository.currentBranch() == "other")
        #expect(repository.relativePath(of: worktree.appending(path: "db")) == "db")
        #expect(repository.relativePath(of: scratch.url) == nil)
    }
}
