import Foundation
import MigKit
import MigTestSupport
import Testing

/// Each tool's folder read as that tool reads it: one test per rule of its grammar (the rules
/// are in the tools' own sources: golang-migrate `source/parse.go`, goose `NumericComponent`,
/// diesel `version_from_string` and `metadata.toml`, Flyway's callback `Event`s and
/// `.sql.conf`, sqlx's `resolve` in `migrate/source.rs`).
@Suite struct ToolFolderTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func load(_ layout: LayoutSetting = .auto, ignore: [String] = []) throws -> Catalog {
        try CatalogLoader(layout: layout, ignore: IgnorePatterns(ignore))
            .load(from: DirectorySource(directory: scratch.url, displayPrefix: "db"))
    }

    // MARK: - golang-migrate: ^([0-9]+)_(.*)\.(down|up)\.(.*)$, the name greedy

    @Test(arguments: [
        ("30_ignore_autotag.up..sql", "30_ignore_autotag.down..sql", "30", "ignore_autotag"),
        ("20240101_x..up.sql", "20240101_x..down.sql", "20240101", "x."),
        ("1_add.users.up.sql", "1_add.users.down.sql", "1", "add.users"),
    ])
    func golangMigrateReadsGreedyNames(up: String, down: String, version: String, name: String) throws {
        try scratch.write(up, "CREATE TABLE t (id INTEGER);\n")
        try scratch.write(down, "DROP TABLE t;\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        let migration = try #require(catalog.migrations.first)
        #expect(catalog.layout == .pair)
        #expect(migration.version.text == version && migration.name == name)
        #expect(migration.up.path == up && migration.down?.path == down)
    }

    @Test func golangMigrateNamesItSkipsAreFindings() throws {
        try scratch.write("1_a.up.sql", "SELECT 1;\n")
        try scratch.write("x_2_b.up.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/x_2_b.up.sql"])
        #expect(catalog.diagnostics[0].code == .unparseableName && catalog.diagnostics[0].severity == .error)
    }

    // MARK: - goose: VERSION_anything.sql (and .go)

    @Test func gooseReadsDotsInTheName() throws {
        try scratch.write("20160131153104_0.1.2_add_event_details.sql", "-- +goose Up\nCREATE TABLE e (id INTEGER);\n")
        let migration = try #require(try load().migrations.first)
        #expect(migration.version.text == "20160131153104")
        #expect(migration.name == "0.1.2_add_event_details")
        #expect(migration.version.scheme == .timestamp)
    }

    @Test func gooseGoMigrationsAreAHoleInTheChain() throws {
        try scratch.write("00001_init.sql", "-- +goose Up\nCREATE TABLE t (id INTEGER);\n")
        try scratch.write("00002_backfill.go", "package migrations\n")
        let catalog = try load()
        let finding = try #require(catalog.diagnostics.first)
        #expect(catalog.diagnostics.count == 1)
        #expect(finding.code == .unusableFile && finding.severity == .error)
        #expect(finding.location?.path == "db/00002_backfill.go")
        #expect(finding.message.contains("cannot run Go migrations"))
        #expect(finding.hint?.contains("ignore") == true)
        #expect(try load(ignore: ["*.go"]).diagnostics.isEmpty)
    }

    @Test func flywayJavaMigrationsAreAHoleInTheChain() throws {
        try scratch.write("V1__init.sql", "SELECT 1;\n")
        try scratch.write("V2__backfill.java", "class V2__backfill {}\n")
        let catalog = try load()
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/V2__backfill.java"])
        #expect(catalog.diagnostics.first?.message.contains("cannot run Java migrations") == true)
        #expect(catalog.diagnostics.hasErrors)
    }

    // MARK: - diesel: YYYY-MM-DD-HHMMSS_name/up.sql, version = prefix without dashes

    @Test func dieselReadsDashedTimestampsAndTheInitialSetup() throws {
        try scratch.write("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;\n")
        try scratch.write("00000000000000_diesel_initial_setup/down.sql", "SELECT 1;\n")
        try scratch.write("2019-02-26-002946_create_users/up.sql", "CREATE TABLE users (id INTEGER);\n")
        try scratch.write("2019-02-26-002946_create_users/down.sql", "DROP TABLE users;\n")
        try scratch.write("2019-03-01-120000_create_posts/up.sql", "CREATE TABLE posts (id INTEGER);\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.layout == .directory)
        #expect(catalog.migrations.map(\.name) == ["diesel_initial_setup", "create_users", "create_posts"])
        #expect(catalog.migrations[1].version == Version("20190226002946"))
        #expect(catalog.migrations[1].identifier == "2019-02-26-002946_create_users")
        #expect(catalog.usesDieselNames)
    }

    @Test func dieselMetadataTakesTheMigrationOutOfATransaction() throws {
        try scratch.write("2019-02-26-002946_index/up.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n")
        try scratch.write("2019-02-26-002946_index/down.sql", "DROP INDEX CONCURRENTLY i;\n")
        try scratch.write("2019-02-26-002946_index/metadata.toml", "run_in_transaction = false\n")
        try scratch.write("2019-02-27-000000_plain/up.sql", "SELECT 1;\n")
        try scratch.write("2019-02-27-000000_plain/metadata.toml", "run_in_transaction = true\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.migrations[0].up.runsOutsideTransaction)
        #expect(catalog.migrations[0].down?.runsOutsideTransaction == true)
        #expect(catalog.migrations[0].files.contains("2019-02-26-002946_index/metadata.toml"))
        #expect(!catalog.migrations[1].up.runsOutsideTransaction)
    }

    @Test func dieselMetadataWithAWrongValueIsAFindingWithTheLine() throws {
        try scratch.write("2019-02-26-002946_index/up.sql", "SELECT 1;\n")
        try scratch.write("2019-02-26-002946_index/metadata.toml", "# settings\nrun_in_transaction = \"no\"\n")
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(catalog.diagnostics.first?.code == .invalidMigration)
        #expect(
            catalog.diagnostics.first?.location
                == SourceLocation(path: "db/2019-02-26-002946_index/metadata.toml", line: 2))
    }

    @Test func dieselFolderWithoutAnUpScriptIsAFinding() throws {
        try scratch.write("2019-02-26-002946_x/down.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(catalog.diagnostics.map(\.code) == [.invalidMigration])
    }

    // MARK: - Flyway: V/U/R, .sql.conf, callbacks

    @Test func flywayScriptConfigTakesOneScriptOutOfATransaction() throws {
        try scratch.write("V1__index.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n")
        try scratch.write("V1__index.sql.conf", "# per-script settings\nexecuteInTransaction=false\n")
        try scratch.write("U1__index.sql", "DROP INDEX i;\n")
        try scratch.write("V2__plain.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.migrations[0].up.runsOutsideTransaction)
        #expect(catalog.migrations[0].down?.runsOutsideTransaction == false)
        #expect(!catalog.migrations[1].up.runsOutsideTransaction)
    }

    @Test func flywayScriptConfigSettingsMigDoesNotApplyAreNamed() throws {
        try scratch.write("V1__x.sql", "SELECT 1;\n")
        try scratch.write("V1__x.sql.conf", "encoding=ISO-8859-1\n")
        let catalog = try load()
        #expect(catalog.diagnostics.map(\.severity) == [.warning])
        #expect(catalog.diagnostics[0].message.contains("encoding"))
    }

    @Test func flywayCallbacksAreListedAndThoseMigDoesNotRunSaidSo() throws {
        try scratch.write("V1__init.sql", "SELECT 1;\n")
        try scratch.write("beforeMigrate.sql", "SELECT 1;\n")
        try scratch.write("afterEachMigrate.sql", "SELECT 1;\n")
        try scratch.write("afterMigrate__refresh_views.sql", "SELECT 1;\n")
        try scratch.write("beforeValidate.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.layout == .flyway)
        #expect(catalog.migrations.count == 1)
        #expect(
            catalog.callbacks.map(\.event)
                == ["afterEachMigrate", "afterMigrate", "beforeMigrate", "beforeValidate"])
        #expect(catalog.callbacks.map(\.runs) == [true, true, true, false])
        #expect(catalog.diagnostics.count == 1 && !catalog.diagnostics.hasErrors)
        #expect(catalog.diagnostics[0].message.contains("does not run beforeValidate callbacks"))
    }

    @Test func flywayDotAndUnderscoreVersionsAreTheSame() throws {
        try scratch.write("V1.1__a.sql", "SELECT 1;\n")
        try scratch.write("V1_1__b.sql", "SELECT 1;\n")
        #expect(try load().diagnostics.map(\.code) == [.duplicateVersion])
    }

    /// Flyway's `MigrationVersion` drops trailing zero parts: `1`, `1.0` and `1_0_0` are one version.
    @Test(arguments: ["V1.0__b.sql", "V1_0_0__b.sql"])
    func flywayTrailingZeroVersionsAreTheSame(other: String) throws {
        try scratch.write("V1__a.sql", "SELECT 1;\n")
        try scratch.write(other, "SELECT 2;\n")
        try scratch.write("V1.0.1__c.sql", "SELECT 3;\n")
        let diagnostics = try load().diagnostics
        #expect(diagnostics.map(\.code) == [.duplicateVersion])
        #expect(diagnostics.first?.message.hasPrefix("version 1 is used by 2 migrations: 1_a, ") == true)
    }

    /// Outside Flyway, versions keep every part (`1.0` is not a version goose or dbmate would write).
    @Test func trailingZerosCountOutsideFlyway() throws {
        try scratch.write("1_a.sql", "-- mig:up\nSELECT 1;\n")
        try scratch.write("1.0_b.sql", "-- mig:up\nSELECT 2;\n")
        #expect(try load().diagnostics.isEmpty)
    }

    // MARK: - Prisma: VERSION_name/migration.sql, up only, beside migration_lock.toml

    @Test func prismaFoldersAreUpOnlyMigrationsNamedAfterTheFolder() throws {
        try scratch.write("migration_lock.toml", "provider = \"postgresql\"\n")
        try scratch.write("20240115120000_init/migration.sql", "CREATE TABLE users (id integer);\n")
        try scratch.write("20240116093000_add posts.v2/migration.sql", "CREATE TABLE posts (id integer);\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.layout == .prisma)
        #expect(catalog.migrations.map { "\($0.version.text)|\($0.name)|\($0.down == nil)" } == [
            "20240115120000|init|true", "20240116093000|add posts.v2|true",
        ])
        #expect(catalog.migrations[0].up.path == "20240115120000_init/migration.sql")
        #expect(catalog.migrations[0].up.sql == "CREATE TABLE users (id integer);\n")
    }

    @Test func aPrismaFoldersDownSQLIsItsDownScript() throws {
        try scratch.write("migration_lock.toml", "provider = \"postgresql\"\n")
        try scratch.write("20240115120000_init/migration.sql", "CREATE TABLE users (id integer);\n")
        try scratch.write("20240115120000_init/down.sql", "DROP TABLE users;\n")
        try scratch.write("20240116093000_posts/migration.sql", "CREATE TABLE posts (id integer);\n")
        try scratch.write("20240117093000_orphan/down.sql", "DROP TABLE tags;\n")
        let catalog = try load()
        #expect(catalog.layout == .prisma)
        #expect(catalog.migrations.map { "\($0.name)|\($0.down?.sql ?? "-")" } == [
            "init|DROP TABLE users;\n", "posts|-",
        ])
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/20240117093000_orphan/down.sql"])
        #expect(catalog.diagnostics.first?.message.contains("without an up script") == true)
    }

    /// What Prisma would fail on or never read is a finding: a folder without a version, another file
    /// in a migration's folder.
    @Test func prismaFilesItWouldNotReadAreFindings() throws {
        try scratch.write("20240115120000_init/migration.sql", "CREATE TABLE users (id integer);\n")
        try scratch.write("20240116093000_posts/migration.sql", "CREATE TABLE posts (id integer);\n")
        try scratch.write("init/migration.sql", "SELECT 1;\n")
        try scratch.write("20240116093000_posts/notes.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.migrations.count == 2)
        #expect(catalog.diagnostics.compactMap(\.location?.path).sorted() == ["db/20240116093000_posts/notes.sql", "db/init/migration.sql"])
        #expect(catalog.diagnostics.allSatisfy { $0.code == .unparseableName })
    }

    // MARK: - dbmate: ^(\d+).*\.sql$, the version the leading digits

    @Test func dbmateNamesWithoutAnUnderscoreAfterTheVersion() throws {
        try scratch.write("20240101120000-create-users.sql", "-- migrate:up\nCREATE TABLE users (id INTEGER);\n-- migrate:down\nDROP TABLE users;\n")
        try scratch.write("20240102120000.sql", "-- migrate:up\nCREATE TABLE posts (id INTEGER);\n-- migrate:down\nDROP TABLE posts;\n")
        try scratch.write("20240103120000_tags.sql", "-- migrate:up\nCREATE TABLE tags (id INTEGER);\n-- migrate:down\nDROP TABLE tags;\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.layout == .sections)
        #expect(catalog.migrations.map { "\($0.version.text)|\($0.name)|\($0.down != nil)" } == [
            "20240101120000|create-users|true", "20240102120000||true", "20240103120000|tags|true",
        ])
    }

    /// Names dbmate reads that mig does not (a typo could make a migration of them) are findings that
    /// say how dbmate reads them; a dash name that looks like golang-migrate's stays unexplained, as
    /// golang-migrate would skip it.
    @Test func dbmateNamesMigDoesNotReadAreExplained() throws {
        try scratch.write("20240101120000_users.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
        try scratch.write("20240102120000users.sql", "-- migrate:up\nSELECT 1;\n")
        try scratch.write("20240103120000-x.up.sql", "SELECT 1;\n")
        let catalog = try load()
        #expect(catalog.migrations.count == 1)
        let messages = catalog.diagnostics.map { "\($0.location?.path ?? ""): \($0.message)" }
        #expect(messages.count == 2)
        #expect(messages.contains { $0.hasPrefix("db/20240102120000users.sql: ") && $0.contains("dbmate would read it as version 20240102120000") })
        #expect(messages.contains { $0.hasPrefix("db/20240103120000-x.up.sql: ") && !$0.contains("dbmate") })
    }

    /// A date-named file is not a dbmate migration of the year's version: a finding.
    @Test func aDateNamedFileIsNotADbmateVersion() throws {
        try scratch.write("20240101120000_users.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
        try scratch.write("2024-01-15-seed.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
        let catalog = try load()
        #expect(catalog.migrations.map(\.version.text) == ["20240101120000"])
        #expect(catalog.diagnostics.compactMap(\.location?.path) == ["db/2024-01-15-seed.sql"])
    }

    @Test func aDbmateDashNameKeepsItsShapeWhenRenumbered() throws {
        try scratch.write("20240101120000-users.sql", "-- migrate:up\nSELECT 1;\n")
        let migration = try #require(try load().migrations.first)
        #expect(
            MigrationFiles.renamed("20240101120000-users.sql", in: migration, to: Version("20240105000000")!)
                == "20240105000000-users.sql")
    }

    // MARK: - sqlx: VERSION_name.sql (up only) beside .up.sql/.down.sql pairs

    @Test func sqlxMixesUpOnlyFilesWithPairs() throws {
        try scratch.write("20240101000000_users.sql", "CREATE TABLE users (id INTEGER);\n")
        try scratch.write("20240102000000_posts.up.sql", "CREATE TABLE posts (id INTEGER);\n")
        try scratch.write("20240102000000_posts.down.sql", "DROP TABLE posts;\n")
        try scratch.write("20240103000000_index.sql", "-- no-transaction\nCREATE INDEX i ON users (id);\n")
        let catalog = try load()
        #expect(catalog.diagnostics.isEmpty)
        #expect(catalog.layout == .pair)
        #expect(catalog.migrations.map(\.name) == ["users", "posts", "index"])
        #expect(catalog.migrations[0].down == nil && catalog.migrations[1].down != nil)
        #expect(catalog.migrations[2].up.runsOutsideTransaction)
    }

    @Test func twoFilesForOneScriptAreAFinding() throws {
        try scratch.write("1_a.sql", "SELECT 1;\n")
        try scratch.write("1_a.up.sql", "SELECT 2;\n")
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(catalog.diagnostics.map(\.code) == [.invalidMigration])
        #expect(catalog.diagnostics.first?.message.contains("db/1_a.sql holds too") == true)
    }

    // MARK: - Versions

    @Test func twelveDigitTimestampsAreTimestamps() throws {
        try scratch.write("202401151200_a.sql", "-- mig:up\nSELECT 1;\n")
        #expect(try load().migrations.first?.version.scheme == .timestamp)
    }

    @Test(arguments: ["202401151200000_a.sql", "2024011512000_a.sql"])
    func aMistypedTimestampIsAFinding(file: String) throws {
        try scratch.write(file, "-- mig:up\nSELECT 1;\n")
        let catalog = try load()
        #expect(catalog.migrations.count == 1)
        #expect(catalog.diagnostics.count == 1)
        #expect(catalog.diagnostics.first?.message.contains("a timestamp has 14") == true)
    }

    // MARK: - Hostile files

    @Test func aFolderLinkLoopIsOneFindingAndNotFollowed() throws {
        try scratch.write("0001_a.sql", "-- mig:up\nSELECT 1;\n")
        try FileManager.default.createSymbolicLink(
            atPath: scratch.url.appending(path: "0005_selfdir").path, withDestinationPath: ".")
        let catalog = try load()
        #expect(catalog.migrations.count == 1)
        #expect(catalog.diagnostics.count == 1)
        #expect(catalog.diagnostics[0].location?.path == "db/0005_selfdir")
        #expect(catalog.diagnostics[0].message.contains("symbolic link to a folder"))
        #expect(catalog.diagnostics.hasErrors)
    }

    @Test func aFileNameThatIsNotUTF8IsNamedAsSuch() throws {
        try scratch.write("0001_a.sql", "-- mig:up\nSELECT 1;\n")
        // The name's bytes as written by a tool that does not speak UTF-8: 0xFF is never valid UTF-8.
        let path = Array((scratch.url.path + "/0002_b").utf8) + [0xFF] + Array(".sql".utf8) + [0]
        let created = path.map { CChar(bitPattern: $0) }.withUnsafeBufferPointer { creat($0.baseAddress!, 0o644) }
        #expect(created >= 0)
        close(created)
        let catalog = try load()
        #expect(catalog.migrations.count == 1)
        #expect(catalog.diagnostics.filter { $0.message.contains("not valid UTF-8") }.count == 1)
    }

    @Test func aSubmoduleCheckoutIsAFindingAndItsFilesAreNotRead() throws {
        try scratch.write("0001_a.sql", "-- mig:up\nSELECT 1;\n")
        try scratch.write("0002_shared/0001_x.sql", "-- mig:up\nSELECT 2;\n")
        try scratch.write("0002_shared/.git", "gitdir: ../../.git/modules/shared\n")
        let catalog = try load()
        #expect(catalog.migrations.map(\.identifier) == ["0001_a"])
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/0002_shared"])
        #expect(catalog.diagnostics.first?.message.contains("submodule") == true)
    }

    /// A named pipe is no file: reading one would wait for a writer forever.
    @Test(.timeLimit(.minutes(1))) func aNamedPipeIsAFindingAndNeverWaitedOn() throws {
        try scratch.write("0001_a.sql", "-- mig:up\nSELECT 1;\n")
        #expect(mkfifo(scratch.url.appending(path: "0002_pipe.sql").path, 0o644) == 0)
        let catalog = try load()
        #expect(catalog.migrations.map(\.identifier) == ["0001_a"])
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/0002_pipe.sql"])
        #expect(catalog.diagnostics.first?.message.contains("not a regular file") == true)
    }

    @Test func aDanglingLinkIsNamed() throws {
        try FileManager.default.createSymbolicLink(
            atPath: scratch.url.appending(path: "0002_gone.sql").path, withDestinationPath: "nowhere.sql")
        let catalog = try load()
        #expect(catalog.diagnostics.map(\.location?.path) == ["db/0002_gone.sql"])
        #expect(catalog.diagnostics.first?.message.contains("does not exist") == true)
    }

    @Test(arguments: [
        ("-- mig:up\n<<<<<<< HEAD\nSELECT 1;\n=======\nSELECT 2;\n>>>>>>> branch\n", 2),
        ("-- mig:up\nSELECT 1;\n=======\n", 3),
    ])
    func gitConflictMarkersAreInvalid(text: String, line: Int) throws {
        try scratch.write("0001_a.sql", text)
        let catalog = try load()
        #expect(catalog.migrations.isEmpty)
        #expect(catalog.diagnostics.first?.code == .invalidMigration)
        #expect(catalog.diagnostics.first?.location == SourceLocation(path: "db/0001_a.sql", line: line))
    }

    @Test func aControlCharacterInAFileNameIsNamed() throws {
        try scratch.write("0001_a\nb.sql", "-- mig:up\nSELECT 1;\n")
        let catalog = try load()
        #expect(catalog.diagnostics.first?.message.contains("control character") == true)
    }

    // MARK: - ignore

    @Test(arguments: [
        ("*.go", "00002_x.go", true), ("*.go", "sub/00002_x.go", true), ("README.md", "README.md", true),
        ("legacy/*", "legacy/1_a.sql", true), ("legacy/*", "legacy/deep/1_a.sql", false),
        ("0001_?.sql", "0001_a.sql", true),
        ("[0-9]*_old.sql", "7_old.sql", true), ("[!0-9]*", "7_old.sql", false), ("*.go", "00002_x.go.sql", false),
    ])
    func ignorePatternsAreShellGlobs(pattern: String, path: String, matches: Bool) {
        #expect(IgnorePatterns([pattern]).matches(path) == matches)
    }
}
