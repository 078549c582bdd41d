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
        #expect(result.status == 2)
        #expect(result.stderr.contains("nowhere"))
    }

    @Test func usageErrorsExitTwo() throws {
        let scratch = try ScratchDirectory()
        for arguments in [["list", "--no-such-option"], ["check", "--format", "yaml"], ["no-such-command"], ["-C"]] {
            let result = try MigProcess.run(arguments, in: scratch.url)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(try MigProcess.run(["--help"], in: scratch.url).status == 0)
        #expect(try MigProcess.run(["--version"], in: scratch.url).status == 0)
    }

    @Test func listReportsUnusableFilesInTheSameOrderEveryRun() throws {
        let scratch = try ScratchDirectory()
        let names = (1...8).map { String(format: "%04d_step_%d", $0, $0) }
        for name in names { try scratch.write("db/migrations/\(name).down.sql", "SELECT 1;\n") }
        for _ in 0..<3 {
            let result = try MigProcess.run(["list"], in: scratch.url)
            #expect(result.status == 1)
            let named = result.stderr.split(separator: "\n").filter { $0.contains("error:") }
                .map { String($0.prefix { $0 != ":" }) }
            #expect(named == names.map { "db/migrations/\($0).down.sql" })
        }
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
        #expect(result.stderr.contains("db/migrations/0002 b.sql: error: no migration layout explains this file name"))
        #expect(result.stderr.contains("dbmate would read it as version 0002"), "\(result.stderr)")
        #expect(result.stderr.contains("[unparseable-name]"))
    }

    @Test func outputHasNoColourWhenNotATerminal() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0001_a.up.sql", "SELECT 1;\n")
        let result = try MigProcess.run(["list"], in: scratch.url, environment: ["NO_COLOR": ""])
        #expect(!result.stdout.contains("\u{1B}["))
    }
}
