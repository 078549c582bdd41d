import Foundation
import MigKit
import MigTestSupport
import Testing

/// `mig shadow --keep PATH` writes a regular file it created, and nothing else.
@Suite struct KeptShadowFileTests {
    let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    private func path(_ relative: String) -> String { scratch.url.appending(path: relative).path }

    private func shadow(with sql: String) throws -> SQLiteDriver {
        let database = try SQLiteDriver.inMemory()
        try database.execute(sql: sql)
        return database
    }

    @Test func refusesADirectoryAndLeavesItWhole() throws {
        try scratch.write("project/db/migrations/0001_a.sql", "-- mig:up\nSELECT 1;\n")
        for target in ["project", "project/db/migrations", "project/db/migrations/"] {
            #expect(throws: KeptShadowFile.Refusal.directory(path(target))) {
                try KeptShadowFile(path: path(target), force: true)
            }
        }
        #expect(try scratch.read("project/db/migrations/0001_a.sql") == "-- mig:up\nSELECT 1;\n")
    }

    @Test func refusesAFileItDidNotWriteUnlessForced() throws {
        try scratch.write("notes.txt", "mine\n")
        #expect(throws: KeptShadowFile.Refusal.notAKeptShadow(path("notes.txt"))) {
            try KeptShadowFile(path: path("notes.txt"))
        }
        #expect(try scratch.read("notes.txt") == "mine\n")

        let users = try SQLiteDriver(path: path("dev.sqlite3"))
        try users.execute(sql: "CREATE TABLE users (id INTEGER)")
        #expect(throws: KeptShadowFile.Refusal.notAKeptShadow(path("dev.sqlite3"))) {
            try KeptShadowFile(path: path("dev.sqlite3"))
        }

        try KeptShadowFile(path: path("notes.txt"), force: true).write(try shadow(with: "CREATE TABLE t (a INTEGER)"))
        #expect(try SQLiteDriver(path: path("notes.txt")).schemaSnapshot().objects.map(\.name) == ["t"])
    }

    @Test func replacesAShadowItKeptBeforeThroughARename() throws {
        let target = path("kept.db")
        try KeptShadowFile(path: target).write(try shadow(with: "CREATE TABLE first (a INTEGER)"))
        try KeptShadowFile(path: target).write(try shadow(with: "CREATE TABLE second (a INTEGER)"))
        #expect(try SQLiteDriver(path: target).schemaSnapshot().objects.map(\.name) == ["second"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func refusesASymbolicLinkAndAMissingFolder() throws {
        try scratch.write("real.txt", "x")
        try FileManager.default.createSymbolicLink(atPath: path("link.db"), withDestinationPath: path("real.txt"))
        #expect(throws: KeptShadowFile.Refusal.symbolicLink(path("link.db"))) {
            try KeptShadowFile(path: path("link.db"), force: true)
        }
        #expect(throws: KeptShadowFile.Refusal.missingFolder(path("nowhere/kept.db"))) {
            try KeptShadowFile(path: path("nowhere/kept.db"))
        }
    }
}
