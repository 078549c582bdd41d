import Foundation
import MigTestSupport
import Testing

/// One rule for every command: a file in the migration directory that mig cannot use is named,
/// and a command that depends on the chain of migrations exits non-zero rather than passing
/// over the hole — unless `[migrations] ignore` leaves the file out on purpose.
@Suite struct ChainHoleTests {
    private static let holes: [(file: String, text: String, reason: String)] = [
        ("db/migrations/0002_backfill.go", "package migrations\n", "cannot run Go migrations"),
        ("db/migrations/0002 backfill.sql", "UPDATE t SET x = 1;\n", "no migration layout explains"),
        (
            "db/migrations/0002_backfill.sql",
            "-- mig:up\n<<<<<<< HEAD\nSELECT 1;\n=======\nSELECT 2;\n>>>>>>> other\n", "conflict marker"
        ),
    ]

    @Test(arguments: 0..<holes.count)
    func everyChainCommandNamesTheFileAndFails(hole: Int) throws {
        let (file, text, reason) = Self.holes[hole]
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        let base = try repo.git.git(["rev-parse", "--abbrev-ref", "HEAD"])
        try repo.git.checkout("feature", create: true)
        try repo.git.write(file, text)
        try repo.git.commit("add a file mig cannot use")

        for command in [
            ["list"], ["shadow"], ["check", "--base", base], ["history"], ["up", "--database", "sqlite:app.db"],
        ] {
            let result = try repo.mig(command)
            #expect(result.status == 1, "\(command) exits 1: \(result.stdout) \(result.stderr)")
            #expect((result.stdout + result.stderr).contains(file), "\(command) names \(file)")
            #expect((result.stdout + result.stderr).contains(reason), "\(command) says why")
            #expect(!(result.stdout + result.stderr).contains("passed"), "\(command) does not pass")
        }
        #expect(!repo.scratch.exists("repo/app.db"), "up changed nothing")
    }

    @Test func ignoredFilesAreLeftOutOnPurpose() throws {
        let repo = try BranchRepository()
        try repo.git.write(
            ".migrate/config.toml", "[migrations]\ndir = \"db/migrations\"\nignore = [\"*.go\", \"README.md\"]\n")
        try repo.commitMigrations("users", "0001_users")
        try repo.git.write("db/migrations/0002_backfill.go", "package migrations\n")
        try repo.git.write("db/migrations/README.md", "How we write migrations.\n")
        try repo.git.commit("a Go migration, left out on purpose")
        for command in [["list"], ["shadow"], ["history"]] {
            let result = try repo.mig(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("0002_backfill.go"))
        }
    }

    @Test func listDoesNotSayNoMigrationsWhenFilesArePresent() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/create users.sql", "CREATE TABLE users (id INTEGER);\n")
        let result = try MigProcess.run(["list"], in: scratch.url)
        #expect(result.status == 1)
        #expect(!(result.stdout + result.stderr).contains("no migrations yet"))
        #expect(result.stderr.contains("db/migrations/create users.sql"))
    }

    @Test(arguments: [
        ("dir = \"/tmp/elsewhere\"", "must be a folder inside the project"),
        ("dir = \"../outside\"", "must be a folder inside the project"),
        ("dir = \"db/typo\"", "db/typo does not exist"),
    ])
    func aDirectoryOutsideTheProjectOrMissingIsAnError(line: String, message: String) throws {
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\n\(line)\n")
        for command in [["list"], ["shadow"]] {
            let result = try MigProcess.run(command, in: scratch.url)
            #expect(result.status == 2, "\(command): \(result.stdout)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
    }

    @Test func checkRefusesAMissingDirectory() throws {
        let repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        let base = try repo.git.git(["rev-parse", "--abbrev-ref", "HEAD"])
        try repo.git.write(".migrate/config.toml", "[migrations]\ndir = \"db/typo\"\n")
        let result = try repo.mig(["check", "--base", base])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stderr.contains("db/typo does not exist"), "\(result.stderr)")
    }

    @Test func aWrongTypeForIgnoreNamesTheKeyAndLine() throws {
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db\"\nignore = \"*.go\"\n")
        let result = try MigProcess.run(["list"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("config.toml:3"))
        #expect(result.stderr.contains("`migrations.ignore` must be an array of strings"))
    }
}
