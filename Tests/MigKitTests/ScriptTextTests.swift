import Foundation
import MigTestSupport
import Testing

@testable import MigKit

/// What of a file's bytes reaches the database: line endings kept, a NUL refused before anything runs.
@Suite struct ScriptTextTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func load() throws -> Catalog {
        try CatalogLoader().load(from: DirectorySource(directory: scratch.url, displayPrefix: "db"))
    }

    @Test func crlfInsideALiteralRunsAsWrittenWhileTheChecksumIgnoresLineEndings() throws {
        let lf = "-- mig:up\nINSERT INTO t VALUES ('a\nb');\n-- mig:down\nDELETE FROM t;\n"
        try scratch.write("1_lf.sql", lf)
        try scratch.write("2_crlf.sql", lf.replacing("\n", with: "\r\n"))
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        let (lfMigration, crlfMigration) = (catalog.migrations[0], catalog.migrations[1])
        #expect(crlfMigration.up.sql == "INSERT INTO t VALUES ('a\r\nb');")
        #expect(crlfMigration.down?.sql == "DELETE FROM t;\r\n")
        #expect(crlfMigration.down?.checksum == lfMigration.down?.checksum)
        #expect(crlfMigration.up.checksum == lfMigration.up.checksum)
        #expect(crlfMigration.up.startLine == 2)
        // Unchanged checksum for a LF file: SHA-256 of exactly its up SQL.
        #expect(lfMigration.up.sql == "INSERT INTO t VALUES ('a\nb');")
    }

    @Test func aCrlfLiteralReachesSQLiteIntact() throws {
        try scratch.write("1_t.up.sql", "CREATE TABLE t (v TEXT);\r\nINSERT INTO t VALUES ('a\r\nb');\r\n")
        let catalog = try load()
        let database = try SQLiteDriver.inMemory()
        try database.execute(catalog.migrations[0].up)
        // 'a' CR LF 'b' is four characters.
        #expect(try database.connection.prepare("SELECT hex(v) FROM t").rows { $0.text(0) ?? "" } == ["610D0A62"])
    }

    @Test func aNulByteIsAnInvalidMigrationWithItsLine() throws {
        try scratch.write("1_a.up.sql", "CREATE TABLE a (id int);\n\0\nCREATE TABLE b (id int);\n")
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        let finding = try #require(catalog.diagnostics.first)
        #expect(finding.code == .invalidMigration)
        #expect(finding.location?.line == 2)
        #expect(finding.message.contains("NUL"))
    }
}
