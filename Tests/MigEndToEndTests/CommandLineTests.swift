import Foundation
import MigTestSupport
import Testing

@Suite struct CommandLineTests {
    @Test func dashCRunsInAnotherFolder() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("app/db/migrations/0001_first.up.sql", "SELECT 1;\n")
        let result = try MigProcess.run(["-C", "app", "list"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0001") && result.stdout.contains("first"))
    }

    @Test func dashCToAMissingFolderIsAUsageError() throws {
        let scratch = try ScratchDirectory()
        let result = try MigProcess.run(["-C", "nowhere", "list"], in: scratch.url)
        #expect(result.status == 64 || result.status == 2)
        #expect(result.stderr.contains("nowhere"))
    }

    @Test func helpExplainsTheCommands() throws {
        let scratch = try ScratchDirectory()
        let result = try MigProcess.run(["--help"], in: scratch.url)
        #expect(result.status == 0)
        for command in ["init", "new", "list"] { #expect(result.stdout.contains(command)) }
    }

    @Test func aConfigMistakeNamesTheLine() throws {
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"db\"\nlayuot = \"pair\"\n")
        let result = try MigProcess.run(["list"], in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains(".migrate/config.toml:3: unknown key `layuot`"))
    }

    @Test func listFailsOnUnusableFilesAndNamesThem() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.sql", "-- mig:down\nSELECT 1;\n-- mig:up\nSELECT 2;\n")
        try scratch.write("db/migrations/0002 b.sql", "-- mig:up\nSELECT 1;\n")
        let result = try MigProcess.run(["list"], in: scratch.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("db/migrations/0001_a.sql:1: error:"))
        #expect(result.stderr.contains("db/migrations/0002 b.sql: error: no migration layout explains this file name [unparseable-name]"))
    }

    @Test func outputHasNoColourWhenNotATerminal() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.up.sql", "SELECT 1;\n")
        let result = try MigProcess.run(["list"], in: scratch.url, environment: ["NO_COLOR": ""])
        #expect(!result.stdout.contains("\u{1B}["))
    }
}
