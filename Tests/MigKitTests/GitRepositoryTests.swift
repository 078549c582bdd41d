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

    @Test func uncommittedChangesAreSeenOnlyBelowTheFolderAndNotForIgnoredFiles() throws {
        try git.commit(
            "base",
            files: [
                "db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n", "db/other/x.sql": "SELECT 0;\n",
                ".gitignore": "*.local.sql\n",
            ])
        let repository = try GitRepository(discoveringFrom: git.url)
        func changed() throws -> Bool { try !repository.workingTreeMatchesHead(under: "db/migrations", paths: [], holdsAttributes: false) }
        #expect(try !changed())
        try git.write("db/other/x.sql", "SELECT 1;\n")
        try git.write("db/migrations/0002_scratch.local.sql", "SELECT 2;\n")
        try git.write("db/migrations-old/0001_a.sql", "SELECT 2;\n")
        #expect(try !changed())
        try git.write("db/migrations/0001_a.sql", "-- mig:up\nSELECT 10;\n")
        #expect(try changed())
        try git.git(["add", "db/migrations/0001_a.sql"])
        #expect(try changed())
        try git.git(["commit", "-qm", "edit"])
        #expect(try !changed())
        try git.write("db/migrations/sub/0003_new.sql", "SELECT 3;\n")
        #expect(try changed())
        try git.remove("db/migrations/sub/0003_new.sql")
        try git.remove("db/migrations/0001_a.sql")
        #expect(try changed())
        #expect(try !repository.workingTreeMatchesHead(under: "", paths: [], holdsAttributes: false))
    }

    @Test func filesGitHidesOrFiltersAndFolderNamesGitReadsAsPatternsNeverMatchHead() throws {
        try git.commit(
            "base", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n", "db/m[1]/0001_a.sql": "SELECT 1;\n"])
        let repository = try GitRepository(discoveringFrom: git.url)
        let paths = ["db/migrations/0001_a.sql"]
        #expect(try repository.workingTreeMatchesHead(under: "db/migrations", paths: paths, holdsAttributes: false))
        #expect(try !repository.workingTreeMatchesHead(under: "db/m[1]", paths: ["db/m[1]/0001_a.sql"], holdsAttributes: false))
        try git.git(["update-index", "--skip-worktree", "db/migrations/0001_a.sql"])
        #expect(try !repository.workingTreeMatchesHead(under: "db/migrations", paths: paths, holdsAttributes: false))
        try git.git(["update-index", "--no-skip-worktree", "db/migrations/0001_a.sql"])
        try git.git(["update-index", "--assume-unchanged", "db/migrations/0001_a.sql"])
        #expect(try !repository.workingTreeMatchesHead(under: "db/migrations", paths: paths, holdsAttributes: false))
        try git.git(["update-index", "--no-assume-unchanged", "db/migrations/0001_a.sql"])
        #expect(try repository.workingTreeMatchesHead(under: "db/migrations", paths: paths, holdsAttributes: false))
        // An `ident` attribute rewrites `$Id$` on checkout: the blob is not the file.
        try git.commit("attributes", files: [".gitattributes": "*.sql ident\n"])
        #expect(try !repository.workingTreeMatchesHead(under: "db/migrations", paths: paths, holdsAttributes: false))
    }

    @Test func attributesInsideTheFolderAreFoundAndAsked() throws {
        try git.commit(
            "base",
            files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n", "db/migrations/sub/.gitattributes": "*.sql ident\n"])
        let repository = try GitRepository(discoveringFrom: git.url)
        let source = try GitTreeSource(
            repository: repository, commit: try repository.commitID(resolving: "HEAD"), directory: "db/migrations",
            displayPrefix: "db/migrations")
        #expect(source.holdsAttributes)
        #expect(
            try !repository.workingTreeMatchesHead(
                under: "db/migrations", paths: ["db/migrations/sub/0002_b.sql"], holdsAttributes: true))
        #expect(
            try repository.workingTreeMatchesHead(
                under: "db/migrations", paths: ["db/migrations/0001_a.sql"], holdsAttributes: true))
    }

    @Test func aMigrationFolderThatIsALinkInHeadIsReadFromTheFiles() throws {
        try git.commit("base", files: ["services/api/db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n"])
        try FileManager.default.createSymbolicLink(
            atPath: git.url.appending(path: "db").path, withDestinationPath: "services/api/db")
        try git.commit("link")
        let context = try BranchContext(
            project: Project(root: git.url, configuration: Configuration(), hasConfigurationFile: false), base: "main")
        #expect(try context.workingCatalog().migrations.map(\.identifier) == ["0001_a"])
    }

    @Test func aNameThatIsNotUTF8InACommitIsNamedAsSuch() throws {
        try git.commit("base", files: ["db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n"])
        let path = Array(git.url.appending(path: "db/migrations").path.utf8) + Array("/0002_b".utf8) + [0xFF]
            + Array(".sql".utf8) + [0]
        let created = path.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { creat($0.baseAddress!, 0o644) }
        #expect(created >= 0)
        close(created)
        try git.git(["add", "-A"])
        try git.git(["commit", "-qm", "odd name"])
        let repository = try GitRepository(discoveringFrom: git.url)
        let source = try GitTreeSource(
            repository: repository, commit: try repository.commitID(resolving: "HEAD"), directory: "db/migrations",
            displayPrefix: "db/migrations")
        #expect(try source.files().compactMap(\.problem).count == 1)
        #expect(try source.files().compactMap(\.problem).first?.contains("not valid UTF-8") == true)
    }

    @Test func theWorkingCatalogIsHeadsWhenNothingChangedAndTheFilesWhenSomethingDid() throws {
        try git.commit(
            "base",
            files: [
                "db/migrations/0001_a.sql": "-- mig:up\nSELECT 1;\n", "shared/body.sql": "-- mig:up\nSELECT 2;\n",
            ])
        try FileManager.default.createSymbolicLink(
            atPath: git.url.appending(path: "db/migrations/0002_linked.sql").path,
            withDestinationPath: "../../shared/body.sql")
        try git.commit("link")
        let context = try BranchContext(
            project: Project(root: git.url, configuration: Configuration(), hasConfigurationFile: false), base: "main")
        func upSQL(_ version: String) throws -> String? {
            try context.workingCatalog().migrations.first { $0.version.text == version }?.up.sql
                .split(separator: "\n").last.map(String.init)
        }
        #expect(try upSQL("0002") == "SELECT 2;")
        // The link in the folder is unchanged; the file it points to, outside the folder, is not.
        try git.write("shared/body.sql", "-- mig:up\nSELECT 20;\n")
        #expect(try upSQL("0002") == "SELECT 20;")
        try git.write("db/migrations/0001_a.sql", "-- mig:up\nSELECT 10;\n")
        #expect(try upSQL("0001") == "SELECT 10;")
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
