import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct ScaffolderTests {
    let scratch: ScratchDirectory
    /// 2024-01-15 12:00:00 UTC.
    let noon = Date(timeIntervalSince1970: 1_705_320_000)

    init() throws {
        scratch = try ScratchDirectory()
    }

    private func project(
        _ scheme: VersioningScheme = .timestamp, layout: LayoutSetting = .auto, dialect: Dialect = .sqlite
    ) -> Project {
        var configuration = Configuration()
        configuration.migrations.directory = "db/migrations"
        configuration.migrations.versioning = scheme
        configuration.migrations.layout = layout
        configuration.migrations.dialect = dialect
        return Project(root: scratch.url, configuration: configuration, hasConfigurationFile: true)
    }

    private func create(_ words: String, in project: Project, template: String = "create-table") throws -> Scaffolder.Plan {
        let scaffolder = Scaffolder(project: project)
        let plan = try scaffolder.plan(.init(description: words, template: template, now: noon))
        try scaffolder.write(plan)
        return plan
    }

    // MARK: - Versions

    @Test func timestampMovesToTheNextFreeSecond() throws {
        let project = project(.timestamp)
        #expect(try create("create users", in: project).version.text == "20240115120000")
        #expect(try create("create posts", in: project).version.text == "20240115120001")
        let catalog = try project.loadCatalog()
        #expect(catalog.migrations.map(\.name) == ["create_users", "create_posts"])
    }

    @Test func sequentialKeepsThePaddingInUse() throws {
        try scratch.write("db/migrations/007_existing.sql", "-- mig:up\nSELECT 1;\n")
        #expect(try create("create users", in: project(.sequential)).version.text == "008")
    }

    @Test func sequentialStartsAtOneWithFourDigits() throws {
        #expect(try create("create users", in: project(.sequential)).version.text == "0001")
    }

    @Test func hybridCountsWithinTheDay() throws {
        try scratch.write("db/migrations/2024.01.14.7_older.sql", "-- mig:up\nSELECT 1;\n")
        let project = project(.hybrid)
        #expect(try create("create users", in: project).version.text == "2024.01.15.1")
        #expect(try create("create posts", in: project).version.text == "2024.01.15.2")
    }

    // MARK: - Layouts

    @Test(arguments: Layout.allCases)
    func writesEveryLayoutSoTheCatalogReadsItBack(layout: Layout) throws {
        let project = project(.sequential, layout: .fixed(layout))
        let plan = try create("create users", in: project)
        // Prisma migrations go up only.
        let upOnly = layout == .prisma
        #expect(plan.files.count == (layout == .sections || upOnly ? 1 : 2))
        let catalog = try project.loadCatalog()
        #expect(catalog.diagnostics.map(\.code) == (upOnly ? [.missingDown] : []))
        let migration = try #require(catalog.migrations.first)
        #expect(migration.version.text == "0001" && migration.name == "create_users" && migration.layout == layout)
        #expect(migration.up.sql.contains("CREATE TABLE users"))
        #expect(migration.down?.sql.contains("DROP TABLE users") == (upOnly ? nil : true))
    }

    @Test func followsTheLayoutAlreadyInUse() throws {
        try scratch.write("db/migrations/0001_first/up.sql", "SELECT 1;\n")
        let plan = try create("create users", in: project(.sequential))
        #expect(plan.files.map(\.path) == ["db/migrations/0002_create_users/up.sql", "db/migrations/0002_create_users/down.sql"])
    }

    @Test func followsTheMarkersOfAGooseProject() throws {
        try scratch.write("db/migrations/0001_first.sql", "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n")
        let plan = try create("create users", in: project(.sequential))
        #expect(plan.files[0].contents.hasPrefix("-- +goose Up\nCREATE TABLE users"))
        #expect(plan.files[0].contents.contains("\n-- +goose Down\nDROP TABLE users;"))
    }

    // MARK: - Safety

    @Test func neverOverwritesAFile() throws {
        let project = project(.sequential, layout: .fixed(.pair))
        let scaffolder = Scaffolder(project: project)
        let plan = try scaffolder.plan(.init(description: "create users", template: "create-table", now: noon))
        try scratch.write("db/migrations/0001_create_users.down.sql", "-- mine\n")
        #expect(throws: Scaffolder.Failure.exists("db/migrations/0001_create_users.down.sql")) {
            try scaffolder.write(plan)
        }
        #expect(try scratch.read("db/migrations/0001_create_users.down.sql") == "-- mine\n")
        #expect(!scratch.exists("db/migrations/0001_create_users.up.sql"), "the half-written migration is removed")
    }

    @Test(arguments: ["../escape", "a/b", "a\\b", "..", "  ", "!!!"])
    func refusesNamesThatAreNotNames(words: String) {
        #expect(throws: Slug.Failure.self) { try Slug.make(words) }
    }

    @Test func slugsWhatPeopleType() throws {
        #expect(try Slug.make("Add users email") == "add_users_email")
        #expect(try Slug.make("  fix: user's  e-mail!  ") == "fix_user_s_e_mail")
        #expect(try Slug.make("Größe ändern") == "größe_ändern")
    }

    // MARK: - Templates

    @Test func projectTemplatesOverrideBuiltInOnes() throws {
        try scratch.write(".migrate/templates/create-table.mustache", "-- mig:up\nCREATE TABLE {{table}} (x TEXT); -- {{dialect}}\n")
        let plan = try create("create users", in: project(.sequential))
        #expect(plan.files[0].contents.contains("CREATE TABLE users (x TEXT); -- sqlite"))
    }

    @Test func aDialectFolderBeatsTheGenericTemplate() throws {
        let plan = try create("create users", in: project(.sequential, dialect: .postgres))
        #expect(plan.files[0].contents.contains("GENERATED ALWAYS AS IDENTITY"))
    }

    @Test func anUnknownVariableNamesTheTemplateAndLine() throws {
        try scratch.write(".migrate/templates/mine.mustache", "-- mig:up\n\nSELECT {{tabel}};\n")
        #expect {
            _ = try Scaffolder(project: project()).plan(.init(description: "x", template: "mine", now: noon))
        } throws: { error in
            guard case .unknownVariable(let origin, let line, let variable, _) = error as? TemplateStore.Failure else { return false }
            return origin.hasSuffix(".migrate/templates/mine.mustache") && line == 3 && variable == "tabel"
        }
    }

    @Test func anUnknownTemplateListsTheChoices() throws {
        #expect {
            _ = try Scaffolder(project: project()).plan(.init(description: "x", template: "nope", now: noon))
        } throws: { error in
            "\(error)".contains("create-table") && "\(error)".contains("add-index")
        }
    }

    @Test func sqlIsNotHTMLEscaped() throws {
        let source = TemplateStore.Source(text: "-- mig:up\nSELECT '{{name}}' <> \"{{name}}\" & 1;\n", origin: "test")
        let rendered = try TemplateRenderer(variables: ["name": "it's <b>"]).render(source)
        #expect(rendered == "-- mig:up\nSELECT 'it's <b>' <> \"it's <b>\" & 1;\n")
    }

    // MARK: - Expand/contract templates

    @Test func anExpandContractTemplateWritesTheExpandStepAndReturnsTheContractStep() throws {
        let scaffolder = Scaffolder(project: project(.sequential, dialect: .postgres))
        let plan = try scaffolder.plan(
            .init(
                description: "rename users name", template: "rename-column", now: noon,
                settings: ["table": "users", "from": "name", "to": "full_name", "type": "text"]))
        let written = try #require(plan.files.first?.contents)
        #expect(written.contains("ALTER TABLE users ADD COLUMN full_name text;"))
        #expect(written.contains("CREATE TRIGGER users_sync_full_name BEFORE INSERT OR UPDATE ON users"))
        #expect(!written.contains("DROP COLUMN name"), "the contract step is not in the expand migration")
        let contract = try #require(plan.contract)
        #expect(contract.contains("ALTER TABLE users DROP COLUMN name;"))
        #expect(contract.contains("-- mig:lint-ignore ban-drop-column contract step of rename_users_name"))
        #expect(try scaffolder.plan(.init(description: "users", template: "create-table", now: noon)).contract == nil)
    }

    @Test(arguments: [
        ("table", "app.users"), ("table", "\"Users\""), ("to", "full name"), ("from", "Name"), ("default", " "),
        ("to", String(repeating: "x", count: 64)),
    ])
    func aSetValueThatWouldBreakTheSQLIsRefused(name: String, value: String) throws {
        let scaffolder = Scaffolder(project: project(.sequential, dialect: .postgres))
        var settings = ["table": "users", "from": "name", "to": "full_name", "type": "text"]
        settings[name] = value
        let request = Scaffolder.Request(
            description: "rename users name", template: "rename-column", now: noon, settings: settings)
        #expect {
            _ = try scaffolder.plan(request)
        } throws: { error in
            guard case .invalidVariable(let refused, _, _) = error as? Scaffolder.Failure else { return false }
            return refused == name
        }
    }

    @Test func aRequiredVariableNotGivenIsNamedWithHowToGiveIt() throws {
        let scaffolder = Scaffolder(project: project(.sequential, dialect: .postgres))
        #expect {
            _ = try scaffolder.plan(
                .init(
                    description: "rename users name", template: "rename-column", now: noon,
                    settings: ["table": "users", "type": "text"]))
        } throws: { error in
            guard case .missingVariables(let origin, let missing) = error as? TemplateStore.Failure else { return false }
            return origin == "built-in template postgres/rename-column" && missing == ["from", "to"]
                && "\(error)".contains("--set from=VALUE --set to=VALUE")
        }
    }

    @Test func setCannotChangeWhatMigWorksOutAndGivesUnknownVariablesAValue() throws {
        let project = project(.sequential, dialect: .postgres)
        #expect(throws: Scaffolder.Failure.fixedVariable("version")) {
            _ = try Scaffolder(project: project).plan(
                .init(description: "x", template: "empty", now: noon, settings: ["version": "9"]))
        }
        try scratch.write(".migrate/templates/owner.mustache", "-- mig:up\nALTER TABLE {{table}} OWNER TO {{owner}};\n")
        let plan = try Scaffolder(project: project).plan(
            .init(description: "x", template: "owner", now: noon, settings: ["table": "users", "owner": "app"]))
        #expect(plan.files.first?.contents.contains("ALTER TABLE users OWNER TO app;") == true)
    }

    @Test func aPostgresOnlyTemplateInASQLiteProjectSaysSo() throws {
        #expect {
            _ = try Scaffolder(project: project(.sequential)).plan(
                .init(description: "x", template: "rename-column", now: noon))
        } throws: { error in
            "\(error)".contains("built in for postgres only, and this project's dialect is sqlite")
        }
    }

    @Test func theContractSectionComesAfterUpAndIsNeverWritten() throws {
        let text = try MigrationText(rendered: "-- mig:up\nA;\n-- mig:down\nB;\n-- mig:contract\nC;\n")
        #expect(text == MigrationText(up: "A;\n", down: "B;\n", contract: "C;\n"))
        #expect(throws: MigrationText.Failure.self) { try MigrationText(rendered: "-- mig:contract\nC;\n-- mig:up\nA;\n") }
    }

    // MARK: - Golden outputs of the built-in templates

    static let goldenVariables = [
        "version": "20240115120000", "name": "add email to users", "slug": "add_email_to_users",
        "created": "2024-01-15T12:00:00Z", "author": "Ada Lovelace", "email": "ada@example.com", "branch": "feature/email",
        "dialect": "sqlite", "table": "users", "column": "email", "from": "name", "to": "full_name", "type": "text",
        "default": "''",
    ]

    @Test(arguments: [
        ("empty", Dialect.sqlite), ("create-table", .sqlite), ("add-column", .sqlite), ("add-index", .sqlite),
        ("create-table", .postgres), ("add-column", .postgres), ("add-index", .postgres),
        ("rename-column", .postgres), ("add-not-null-column", .postgres),
    ])
    func builtInTemplatesRenderAsRecorded(name: String, dialect: Dialect) throws {
        let source = try TemplateStore(overrides: nil).template(named: name, dialect: dialect)
        let rendered = try TemplateRenderer(variables: Self.goldenVariables).render(source)
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appending(path: "Golden/\(name).\(dialect.rawValue).sql")
        #expect(rendered == (try String(contentsOf: golden, encoding: .utf8)))
    }
}

/// `mig fix` moves every file of a migration, settings files included.
@Suite struct MigrationFilesTests {
    @Test(arguments: [
        ("2019-02-26-002946_index/metadata.toml", "2024-01-15-120000_index/metadata.toml", Layout.directory),
        ("2019-02-26-002946_index/up.sql", "2024-01-15-120000_index/up.sql", .directory),
        ("V1__index.sql.conf", "V3__index.sql.conf", .flyway),
        ("U1__index.sql.conf", "U3__index.sql.conf", .flyway),
    ])
    func renamesSettingsFilesWithTheirMigration(path: String, renamed: String, layout: Layout) throws {
        let (from, to) = layout == .flyway ? ("1", "3") : ("2019-02-26-002946", "2024-01-15-120000")
        let script = Script(path: "up.sql", startLine: 1, sql: "SELECT 1;\n")
        let migration = Migration(
            version: try #require(Version(from)), name: "index", layout: layout, up: script, down: nil, files: [path])
        #expect(MigrationFiles.renamed(path, in: migration, to: try #require(Version(to))) == renamed)
    }
}
