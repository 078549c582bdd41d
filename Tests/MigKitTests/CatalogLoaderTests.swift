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

    private func codes(_ catalog: Catalog) -> [CheckCode] { catalog.diagnostics.map(\.code) }

    @Test func findsTheOneMigrationOfAVersion() throws {
        for (file, table) in [
            ("1_a", "a"), ("01_b", "b"), ("2_c", "c"), ("3_d", "d"), ("3_e", "e"), ("10_f", "f"),
        ] {
            try scratch.write("\(file).up.sql", "CREATE TABLE \(table) (id INTEGER);\n")
        }
        let catalog = try load()
        func name(_ version: String) -> String? { catalog.migration(Version(version)!)?.name }
        #expect(name("1") == nil)  // `1` and `01` are one version, which two migrations have
        #expect(name("01") == nil)
        #expect(name("2") == "c")
        #expect(name("10") == "f")
        #expect(name("3") == nil)
        #expect(name("4") == nil)
        #expect(name("11") == nil)
        #expect(name("0") == nil)
    }

    // MARK: - Layouts

    @Test func readsPairLayoutInNumericOrder() throws {
        for number in [1, 2, 9, 10] {
            try scratch.write("\(number)_step.up.sql", "CREATE TABLE t\(number) (id INTEGER);\n")
            try scratch.write("\(number)_step.down.sql", "DROP TABLE t\(number);\n")
        }
        let catalog = try load()
        #expect(catalog.layout == .pair)
        #expect(catalog.migrations.map(\.version.text) == ["1", "2", "9", "10"])
        #expect(catalog.migrations.allSatisfy { $0.down != nil })
        #expect(catalog.migrations[0].files == ["1_step.down.sql", "1_step.up.sql"])
        #expect(catalog.diagnostics.isEmpty)
    }

    @Test func leavesDownFilesUnreadWhenAskedForUpScriptsOnly() throws {
        try scratch.write("1_users.up.sql", "CREATE TABLE users (id INTEGER);\n")
        try scratch.write("1_users.down.sql", "DROP TABLE users;\n")
        try scratch.write("2_posts.up.sql", "CREATE TABLE posts (id INTEGER);\n")
        try scratch.write("2_posts.down.sql", "<<<<<<< HEAD\nDROP TABLE posts;\n")
        var loader = CatalogLoader(requireDown: true)
        loader.readsDownScripts = false
        let catalog = try loader.load(from: DirectorySource(directory: scratch.url, displayPrefix: "db"))
        #expect(
            catalog.migrations.map(\.up.sql) == [
                "CREATE TABLE users (id INTEGER);\n", "CREATE TABLE posts (id INTEGER);\n",
            ])
        #expect(catalog.migrations.allSatisfy { $0.down == nil })
        #expect(catalog.migrations[1].files == ["2_posts.down.sql", "2_posts.up.sql"])
        // The half-merged down file is not read, and no down script is reported missing.
        #expect(catalog.diagnostics.isEmpty)
        // Read in full, the same folder shows the conflict.
        #expect(codes(try load(requireDown: true)) == [.invalidMigration])
    }

    @Test func readsDirectoryLayout() throws {
        try scratch.write("20240101000000_users/up.sql", "CREATE TABLE users (id INTEGER);\n")
        try scratch.write("20240101000000_users/down.sql", "DROP TABLE users;\n")
        try scratch.write("20240102000000_posts/up.sql", "CREATE TABLE posts (id INTEGER);\n")
        let catalog = try load()
        #expect(catalog.layout == .directory)
        #expect(catalog.migrations.map(\.name) == ["users", "posts"])
        #expect(catalog.migrations[0].down?.sql == "DROP TABLE users;\n")
        #expect(catalog.migrations[1].down == nil)
    }

    @Test func readsSplitLayout() throws {
        try scratch.write("up/0001_users.sql", "CREATE TABLE users (id INTEGER);\n")
        try scratch.write("down/0001_users.sql", "DROP TABLE users;\n")
        let catalog = try load()
        #expect(catalog.layout == .split)
        #expect(catalog.migrations.first?.up.path == "up/0001_users.sql")
        #expect(catalog.migrations.first?.down?.path == "down/0001_users.sql")
    }

    @Test func readsFlywayVersionedUndoAndRepeatable() throws {
        try scratch.write("V1__init.sql", "CREATE TABLE a (id INTEGER);\n")
        try scratch.write("U1__init.sql", "DROP TABLE a;\n")
        try scratch.write("V1_2__more.sql", "CREATE TABLE b (id INTEGER);\n")
        try scratch.write("V1.10__later.sql", "CREATE TABLE c (id INTEGER);\n")
        try scratch.write("R__views.sql", "CREATE VIEW v AS SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.layout == .flyway)
        #expect(catalog.migrations.map(\.version.text) == ["1", "1_2", "1.10"])
        #expect(catalog.migrations[0].down?.sql == "DROP TABLE a;\n")
        #expect(catalog.repeatables.map(\.name) == ["views"])
        #expect(catalog.diagnostics.isEmpty)
    }

    @Test(arguments: [
        ("-- mig:up\nCREATE TABLE t (id INTEGER);\n-- mig:down\nDROP TABLE t;\n", 2, 4),
        ("-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (id INTEGER);\n-- +goose StatementEnd\n\n-- +goose Down\nDROP TABLE t;\n", 2, 7),
        ("-- migrate:up\nCREATE TABLE t (id INTEGER);\n\n-- migrate:down\nDROP TABLE t;\n", 2, 5),
    ])
    func readsSectionMarkersOfEveryTool(text: String, upLine: Int, downLine: Int) throws {
        try scratch.write("20240101000000_t.sql", text)
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        let migration = try #require(catalog.migrations.first)
        #expect(migration.layout == .sections)
        #expect(migration.up.startLine == upLine)
        #expect(migration.down?.startLine == downLine)
        #expect(migration.up.sql.contains("CREATE TABLE t"))
        #expect(migration.down?.sql.contains("DROP TABLE t") == true)
        #expect(migration.up.sql.contains("DROP TABLE") == false)
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

    // MARK: - Versions

    @Test func ordersHybridCountersNumerically() throws {
        for counter in [1, 9, 10, 2] {
            try scratch.write("2024.01.15.\(counter)_change.sql", "-- mig:up\nSELECT 1;\n")
        }
        let catalog = try load()
        #expect(catalog.migrations.map(\.version.text) == ["2024.01.15.1", "2024.01.15.2", "2024.01.15.9", "2024.01.15.10"])
    }

    @Test func ordersTimestampsAndSequentialNumbers() throws {
        try scratch.write("20240102000000_b.sql", "-- mig:up\nSELECT 1;\n")
        try scratch.write("20240101235959_a.sql", "-- mig:up\nSELECT 1;\n")
        #expect(try load().migrations.map(\.name) == ["a", "b"])
    }

    // MARK: - Directives

    @Test(arguments: [
        ("20240101000000_i.sql", "-- mig:up\n-- mig:no-transaction\nCREATE INDEX i ON t (c);\n"),
        ("20240101000000_i.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX i ON t (c);\n"),
        ("20240101000000_i.sql", "-- migrate:up transaction:false\nCREATE INDEX i ON t (c);\n"),
        ("20240101000000_i.up.sql", "-- mig:no-transaction\nCREATE INDEX i ON t (c);\n"),
    ])
    func directivesTakeTheScriptOutOfTransactions(path: String, text: String) throws {
        try scratch.write(path, text)
        let migration = try #require(try load().migrations.first)
        #expect(migration.up.runsOutsideTransaction)
    }

    @Test func scriptsRunInTransactionsByDefault() throws {
        try scratch.write("20240101000000_t.sql", "-- migrate:up\nCREATE TABLE t (id INTEGER);\n")
        #expect(try load().migrations.first?.up.runsOutsideTransaction == false)
    }

    // MARK: - Checksums

    @Test func checksumIgnoresBOMAndCRLF() throws {
        try scratch.write("1_a.up.sql", "CREATE TABLE a (id INTEGER);\nSELECT 1;\n")
        try scratch.write("2_b.up.sql", bytes: [0xEF, 0xBB, 0xBF] + Array("CREATE TABLE a (id INTEGER);\r\nSELECT 1;\r\n".utf8))
        let catalog = try load()
        #expect(catalog.migrations.count == 2)
        #expect(catalog.migrations[0].up.checksum == catalog.migrations[1].up.checksum)
        #expect(catalog.migrations[0].up.checksum.count == 64)
    }

    @Test func checksumIsSHA256OfTheScript() throws {
        try scratch.write("1_a.up.sql", "abc")
        // SHA-256("abc"), from FIPS 180-2.
        #expect(try load().migrations.first?.up.checksum == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    // MARK: - Bad input

    @Test func reportsFileNamesNoLayoutExplains() throws {
        try scratch.write("1_ok.up.sql", "SELECT 1;\n")
        try scratch.write("add users.sql", "SELECT 1;\n")
        try scratch.write("README.md", "not a migration\n")
        try scratch.write(".hidden.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(codes(catalog) == [.unusableFile, .unparseableName])
        #expect(catalog.diagnostics[0].location == SourceLocation(path: "db/README.md"))
        #expect(catalog.diagnostics[0].severity == .warning)
        #expect(catalog.diagnostics[1].location == SourceLocation(path: "db/add users.sql"))
        #expect(catalog.diagnostics[1].severity == .error)
        #expect(catalog.migrations.count == 1)
    }

    @Test func reportsDuplicateVersionsNamingBothFiles() throws {
        try scratch.write("0003_a.sql", "-- mig:up\nSELECT 1;\n")
        try scratch.write("3_b.sql", "-- mig:up\nSELECT 2;\n")
        let catalog = try load()
        #expect(codes(catalog) == [.duplicateVersion])
        let diagnostic = catalog.diagnostics[0]
        #expect(Set([diagnostic.location?.path] + diagnostic.related.map(\.path)) == ["db/0003_a.sql", "db/3_b.sql"])
        #expect(diagnostic.message.contains("0003_a") && diagnostic.message.contains("3_b"))
    }

    @Test func reportsFilesOfAMinorityLayout() throws {
        try scratch.write("1_a.up.sql", "SELECT 1;\n")
        try scratch.write("2_b.up.sql", "SELECT 1;\n")
        try scratch.write("3_c/up.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.layout == .pair)
        #expect(codes(catalog) == [.unparseableName])
        #expect(catalog.diagnostics[0].location?.path == "db/3_c/up.sql")
        #expect(catalog.diagnostics[0].message.contains("directory"))
    }

    @Test func reportsFilesNotInTheConfiguredLayout() throws {
        try scratch.write("1_a.up.sql", "SELECT 1;\n")
        let catalog = try load(.fixed(.sections))
        #expect(catalog.migrations.isEmpty)
        #expect(codes(catalog) == [.unparseableName])
    }

    @Test(arguments: [
        ("SELECT 1;\n", 1, "no up marker"),
        ("-- mig:down\nSELECT 1;\n-- mig:up\nSELECT 2;\n", 1, "before any up marker"),
        ("-- mig:up\nSELECT 1;\n-- mig:down\nSELECT 2;\n-- mig:up\n", 5, "second up marker"),
        ("-- header\nCREATE TABLE t (id INTEGER);\n-- mig:up\nSELECT 1;\n", 2, "SQL before the up marker"),
    ])
    func reportsBadSectionMarkersWithTheLine(text: String, line: Int, message: String) throws {
        try scratch.write("20240101000000_bad.sql", text)
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(codes(catalog) == [.invalidMigration])
        #expect(catalog.diagnostics[0].location == SourceLocation(path: "db/20240101000000_bad.sql", line: line))
        #expect(catalog.diagnostics[0].message.contains(message))
    }

    @Test func reportsInvalidUTF8WithTheLine() throws {
        try scratch.write("1_a.up.sql", bytes: Array("SELECT 1;\nSELECT '".utf8) + [0xC3, 0x28] + Array("';\n".utf8))
        let catalog = try load()
        #expect(codes(catalog) == [.invalidMigration])
        #expect(catalog.diagnostics[0].location == SourceLocation(path: "db/1_a.up.sql", line: 2))
        #expect(catalog.diagnostics[0].message.contains("UTF-8"))
    }

    @Test func reportsADownWithoutAnUp() throws {
        try scratch.write("1_a.down.sql", "DROP TABLE a;\n")
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(codes(catalog) == [.invalidMigration])
    }

    /// Their own tools run an empty or comment-only up script as a no-op and record it.
    @Test(arguments: [
        ("1_a.up.sql", "-- nothing yet\n"), ("1_a.up.sql", ""),
        ("20240101000000_a.sql", "-- +goose Up\n-- a placeholder\n\n-- +goose Down\n"),
        ("20240101000000_a.sql", "-- migrate:up\n\n-- migrate:down\nDROP TABLE t;\n"),
        ("20240101000000_a.sql", "-- mig:up\n\n-- only a comment\n-- mig:down\nSELECT 1;\n"),
    ])
    func readsAnEmptyUpScriptAsANoOp(path: String, text: String) throws {
        try scratch.write(path, text)
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        let migration = try #require(catalog.migrations.first)
        #expect(!migration.up.hasStatements)
    }

    @Test func warnsAboutMissingDownOnlyWhenRequired() throws {
        try scratch.write("1_a.up.sql", "SELECT 1;\n")
        #expect(try load(requireDown: false).diagnostics.isEmpty)
        let catalog = try load(requireDown: true)
        #expect(codes(catalog) == [.missingDown])
        #expect(catalog.diagnostics[0].severity == .warning)
        #expect(!catalog.diagnostics.hasErrors)
    }

    @Test func aMissingDirectoryIsAnErrorForTheProject() throws {
        let project = Project(root: scratch.url, configuration: Configuration(), hasConfigurationFile: false)
        #expect(throws: CatalogError.missingDirectory("db/migrations")) { try project.loadCatalog() }
        #expect(try project.loadCatalog(allowingMissingDirectory: true).migrations.isEmpty)
    }

    @Test func aMissingDirectoryIsAnEmptyCatalog() throws {
        let catalog = try CatalogLoader().load(
            from: DirectorySource(directory: scratch.url.appending(path: "nowhere"), displayPrefix: "nowhere"))
        #expect(catalog.migrations.isEmpty && catalog.layout == nil && catalog.diagnostics.isEmpty)
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAnError() throws {
        try scratch.write("file", "x")
        #expect(throws: CatalogError.self) {
            try CatalogLoader().load(from: DirectorySource(directory: scratch.url.appending(path: "file"), displayPrefix: "file"))
        }
    }
}
