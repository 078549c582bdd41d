import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct MigrationFolderFinderTests {
    @Test func ranksFoldersAtAnyDepthByTheFilesThatFitALayout() throws {
        let scratch = try ScratchDirectory()
        for number in 1...3 {
            try scratch.write("cmd/x/migrate/migrations/000\(number)_m\(number).up.sql", "SELECT 1;\n")
            try scratch.write("config/migrations/sqlite3/000\(number)_m\(number)/up.sql", "SELECT 1;\n")
        }
        try scratch.write("config/migrations/sqlite3/0004_m4/down.sql", "SELECT 1;\n")
        try scratch.write("docs/0001_example.sql", "SELECT 1;\n")
        try scratch.write("node_modules/pkg/migrations/0001_a.sql", "SELECT 1;\n")
        let found = MigrationFolderFinder(root: scratch.url).candidates()
        #expect(found.map(\.path) == ["config/migrations/sqlite3", "cmd/x/migrate/migrations", "docs"])
        #expect(found.map(\.layout) == [.directory, .pair, .sections])
        #expect(found.map(\.files) == [4, 3, 1])
    }

    /// Prisma's `prisma/migrations/VERSION_name/migration.sql`: the folder above the migration folders.
    @Test func findsPrismasMigrationsFolder() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n")
        for number in 1...2 {
            try scratch.write("prisma/migrations/2024010100000\(number)_m\(number)/migration.sql", "SELECT 1;\n")
        }
        try scratch.write("prisma/seed.sql", "SELECT 1;\n")
        let found = MigrationFolderFinder(root: scratch.url).candidates()
        #expect(found.first.map { "\($0.path) \($0.layout) \($0.files)" } == "prisma/migrations prisma 2")
    }

    @Test func searchesTrackedFilesThatAreStillThere() throws {
        let scratch = try ScratchDirectory()
        let git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
        try git.commit("old and new folders", files: [
            "old/migrations/0001_a.sql": "SELECT 1;\n", "old/migrations/0002_b.sql": "SELECT 1;\n",
            "app/db/migrations/0001_a.up.sql": "SELECT 1;\n",
        ])
        try git.remove("old")
        for number in 1...3 { try git.write("untracked/migrations/000\(number)_x.sql", "SELECT 1;\n") }
        let found = MigrationFolderFinder(root: git.url).candidates()
        #expect(found.map(\.path) == ["app/db/migrations"])
        #expect(MigrationFolderFinder(root: git.url.appending(path: "app")).candidates().map(\.path) == ["db/migrations"])
    }

    @Test func withNothingTrackedSearchesTheWorkingTreeButNotWhatGitIgnores() throws {
        let scratch = try ScratchDirectory()
        let git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
        try git.write(".gitignore", "build/\n")
        for number in 1...3 { try git.write("build/migrations/000\(number)_x.sql", "SELECT 1;\n") }
        try git.write("db/migrations/0001_a.sql", "SELECT 1;\n")
        #expect(MigrationFolderFinder(root: git.url).candidates().map(\.path) == ["db/migrations"])
    }
}
