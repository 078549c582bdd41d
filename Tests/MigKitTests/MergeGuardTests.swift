import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct MergeGuardTextTests {
    private func guardText(_ files: [String]) throws -> [Substring] {
        let scratch = try ScratchDirectory()
        for file in files { try scratch.write(file, "-- mig:up\nSELECT 1;\n") }
        let text = try MergeGuard.text(for: DirectorySource(directory: scratch.url, displayPrefix: "db"))
        return text.split(separator: "\n")
    }

    @Test func eachLineDependsOnEveryLineBeforeIt() throws {
        let base = try guardText(["0001_a.sql", "0003_c.sql"])
        #expect(base.contains("newest 0003"))
        let appended = try guardText(["0001_a.sql", "0003_c.sql", "0004_d.sql"])
        let inserted = try guardText(["0001_a.sql", "0002_b.sql", "0003_c.sql"])
        // Appending keeps every earlier line; inserting changes every line after the insertion.
        #expect(Array(appended.dropLast()).dropFirst(3) == base.dropFirst(3))
        let baseC = try #require(base.first { $0.hasPrefix("0003_c ") })
        let insertedC = try #require(inserted.first { $0.hasPrefix("0003_c ") })
        #expect(baseC != insertedC)
        #expect(base.first { $0.hasPrefix("0001_a ") } == inserted.first { $0.hasPrefix("0001_a ") })
    }

    @Test func countsMigrationsByNameEvenBeforeTheyHaveSQL() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("0001_empty.sql", "-- mig:up\n")
        try scratch.write("0001_empty.down.sql", "")
        try scratch.write("notes.txt", "not a migration\n")
        let text = try MergeGuard.text(for: DirectorySource(directory: scratch.url, displayPrefix: "db"))
        #expect(text.contains("newest 0001\n0001_empty "))
        #expect(!text.contains("notes"))
    }
}
