import Foundation
import MigKit
import MigTestSupport
import Testing

@Suite struct ConfigurationFileTests {
    @Test func readsEveryDocumentedKey() throws {
        let configuration = try ConfigurationFile.parse(
            """
            [migrations]
            dir = "sql"
            layout = "pair"
            versioning = "hybrid"
            dialect = "postgres"
            require_down = false

            [git]
            base = "develop"

            [database]
            url = "env:APP_DB"
            history_table = "schema_history"

            [shadow]
            roundtrip = false
            cache_size = 0
            schema_file = "db/schema.sql"
            roles = ["anon", "authenticated"]
            extensions = ["pgcrypto"]
            """)
        #expect(configuration.migrations.directory == "sql")
        #expect(configuration.migrations.layout == .fixed(.pair))
        #expect(configuration.migrations.versioning == .hybrid)
        #expect(configuration.migrations.dialect == .postgres)
        #expect(configuration.migrations.requireDown == false)
        #expect(configuration.git.base == "develop")
        #expect(configuration.database.url == "env:APP_DB")
        #expect(configuration.database.historyTable == "schema_history")
        #expect(configuration.shadow.roundtrip == false)
        #expect(configuration.shadow.cacheSize == 0)
        #expect(configuration.shadow.schemaFile == "db/schema.sql")
        // A cache of 0 megabytes keeps no snapshots at all.
        #expect(
            ShadowSnapshotCache(
                project: Project(root: URL(filePath: "/p"), configuration: configuration, hasConfigurationFile: true))
                == nil)
        #expect(configuration.shadow.roles == ["anon", "authenticated"])
        #expect(configuration.shadow.extensions == ["pgcrypto"])
    }

    @Test func readsPlaceholders() throws {
        let configuration = try ConfigurationFile.parse(
            "[placeholders]\nschema = \"app\"\n\"flyway:user\" = \"deploy\"\n")
        #expect(configuration.placeholders == ["schema": "app", "flyway:user": "deploy"])
    }

    @Test func anEmptyFileGivesTheDefaults() throws {
        #expect(try ConfigurationFile.parse("") == Configuration())
    }

    @Test(arguments: [
        ("[migrations]\ndir = \"db\"\ndirectory = \"x\"\n", 3, "unknown key `directory`"),
        ("[migrations]\n\nrequire_down = \"yes\"\n", 3, "must be true or false"),
        ("[migrations]\nlayout = \"folders\"\n", 2, "expected one of \"auto\", \"pair\""),
        ("# comment\n[databse]\nurl = \"x\"\n", 2, "unknown section [databse]"),
        ("[database]\nurl = 5\n", 2, "must be a string"),
        ("[shadow]\ncache_size = -1\n", 2, "`cache_size` is -1: expected megabytes, 0 or more"),
        ("[placeholders]\nschema = \"app\"\nseed = 5\n", 3, "must be a string"),
        ("[migrations]\ndir = \"unterminated\n", 2, "not valid TOML"),
        ("[database]\n\nlock_wait = \"10 minutes please\"\n", 3, "`lock_wait` must be a duration"),
        ("[database]\nlock_lease = \"\"\n", 2, "`lock_lease` must be a duration"),
    ])
    func namesTheKeyAndLineOfAMistake(text: String, line: Int, message: String) {
        #expect {
            _ = try ConfigurationFile.parse(text, path: ".migrate/config.toml")
        } throws: { error in
            guard let failure = error as? ConfigurationFile.Failure else { return false }
            return failure.line == line && failure.message.contains(message)
                && failure.description.hasPrefix(".migrate/config.toml:\(line): ")
        }
    }

    @Test func durationsAreReadAsPostgreSQLReadsIntervals() {
        #expect(DurationSetting.duration("90s") == .seconds(90))
        #expect(DurationSetting.duration("10min") == .seconds(600))
        #expect(DurationSetting.duration("1h 30min") == .seconds(5400))
        #expect(DurationSetting.duration("500ms") == .milliseconds(500))
        #expect(DurationSetting.duration("2.5 seconds") == .milliseconds(2500))
        #expect(DurationSetting.duration("15") == .seconds(15))
        #expect(DurationSetting.duration("00:05:00") == .seconds(300))
        #expect(DurationSetting.duration("1:30") == .seconds(5400))
        #expect(DurationSetting.duration("1 week") == .seconds(604_800))
        for wrong in ["", "min", "-5s", "5 fortnights", "1.2.3s", "1:2:3:4", "99999999999999999999h", "2 years"] {
            #expect(DurationSetting.duration(wrong) == nil, "\(wrong)")
        }
    }

    @Test func databaseURLPrecedence() throws {
        var configuration = Configuration()
        configuration.database.url = "sqlite:from-file.db"
        let project = Project(
            root: URL(fileURLWithPath: "/tmp"), configuration: configuration, hasConfigurationFile: true)
        #expect(
            try project.databaseURL(flag: "sqlite:flag.db", environment: ["MIG_DATABASE_URL": "sqlite:env.db"])
                == "sqlite:flag.db")
        #expect(
            try project.databaseURL(
                flag: nil, environment: ["MIG_DATABASE_URL": "sqlite:mig.db", "DATABASE_URL": "sqlite:db.db"])
                == "sqlite:mig.db")
        #expect(try project.databaseURL(flag: nil, environment: ["DATABASE_URL": "sqlite:db.db"]) == "sqlite:db.db")
        #expect(try project.databaseURL(flag: nil, environment: [:]) == "sqlite:from-file.db")
    }

    @Test func databaseURLFromANamedVariable() throws {
        var configuration = Configuration()
        configuration.database.url = "env:APP_DB"
        let project = Project(
            root: URL(fileURLWithPath: "/tmp"), configuration: configuration, hasConfigurationFile: true)
        #expect(try project.databaseURL(flag: nil, environment: ["APP_DB": "sqlite:app.db"]) == "sqlite:app.db")
        #expect(throws: ProjectError.unsetEnvironmentVariable("APP_DB")) {
            try project.databaseURL(flag: nil, environment: [:])
        }
    }

    @Test func discoversTheProjectFromASubfolder() throws {
        let scratch = try ScratchDirectory()
        try scratch.write(".migrate/config.toml", "[migrations]\ndir = \"sql\"\n")
        try FileManager.default.createDirectory(
            at: scratch.url.appending(path: "a/b"), withIntermediateDirectories: true)
        let project = try Project.discover(from: scratch.url.appending(path: "a/b"))
        #expect(project.hasConfigurationFile)
        #expect(project.configuration.migrations.directory == "sql")
        #expect(project.root.standardizedFileURL.path == scratch.url.standardizedFileURL.path)
    }
}
