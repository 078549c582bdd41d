import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct CatalogLoaderTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func load(_ layout: LayoutSetting = .auto, requireDown: Bool = false) throws -> Catalog {
        try CatalogLoader(layout: layout, requireDown: requireDown)
            .load(from: DirectorySource(directory: scratch.url, displayPrefix: "db"))
    }

    @Test func readsPairLayoutInNumericOrder() throws {
        for number in [1, 2, 9, 10] {
            try scratch.write("\(number)_step.up.sql", "CREATE TABLE t\(number) (id INTEGER);\n")
            try scratch.write("\(number)_step.down.sql", "DROP TABLE t\(number);\n")
        }
        let catalog = try load()
        #expect(catalog.layout == .pair)
        #expect(catalog.migrations.map(\.version.text) == ["1", "2", "9", "10"])
        #expect(catalog.migrations.allSatisfy { $0.down != nil })
        #expect(catalog.diagnostics.isEmpty)
    }

    @Test func ordersHybridCountersNumerically() throws {
        for counter in [1, 9, 10, 2] {
            try scratch.write("2024.01.15.\(counter)_change.sql", "-- mig:up\nSELECT 1;\n")
        }
        let catalog = try load()
        #expect(catalog.migrations.map(\.version.text) == ["2024.01.15.1", "2024.01.15.2", "2024.01.15.9", "2024.01.15.10"])
    }

    @Test func sectionScriptsKnowTheirFileLines() throws {
        try scratch.write(
            "20240115120000_users.sql",
            "-- a comment\n-- mig:up\nCREATE TABLE users (id INTEGER);\nCREATE INDEX i ON users (id);\n-- mig:down\nDROP TABLE users;\n")
        let migration = try #require(try load().migrations.first)
        #expect(migration.up.startLine == 3)
        #expect(migration.up.fileLine(forScriptLine: 2) == 4)
        #expect(migration.down?.startLine == 6)
        #expect(migration.down?.sql == "DROP TABLE users;\n")
    }
}
