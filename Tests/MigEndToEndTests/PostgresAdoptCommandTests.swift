import Foundation
import MigTestSupport
import Testing

/// `mig adopt` and `mig baseline` on PostgreSQL databases that other tools migrated, each test on a
/// database of its own.
@Suite(.postgres) struct PostgresAdoptCommandTests {
    let database: PostgresTestDatabase
    let project: AdoptProject

    init() throws {
        let database = try PostgresTestDatabase()
        self.database = database
        project = try AdoptProject(
            scratch: try ScratchDirectory(), dialect: .postgres, databaseURL: database.url
        ) { sql in try database.query(sql) }
    }

    private func mig(_ arguments: String...) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: project.scratch.url, environment: project.environment)
    }

    @Test(arguments: ForeignToolFixture.all.map(\.tool))
    func adoptsADatabaseTheToolMigrated(tool: String) throws {
        try project.adoptsAndContinues(try #require(ForeignToolFixture.all.first { $0.tool == tool }))
    }

    @Test func aDirtyGolangMigrateVersionIsRecordedDirty() throws {
        try project.write(.golangMigrate)
        try database.query(ForeignToolFixture.golangMigrateTable(.postgres, version: 2, dirty: true))
        let adopt = try mig("adopt")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(adopt.stdout.contains("recorded 000002_posts dirty"), "\(adopt.stdout)")
        #expect(try project.states() == ["000001:applied", "000002:dirty", "000003:pending"])
        #expect(try mig("up").status != 0)
        #expect(try database.query("SELECT to_regclass('comments') IS NULL") == ["t"])
        #expect(try database.query("SELECT version || ':' || dirty FROM schema_migrations") == ["2:true"])
    }

    @Test func flywayFailedAttemptsAreNotApplied() throws {
        try project.write(.flyway)
        try database.query(
            ForeignToolFixture.flywayRows([
                "(4, '2', 'comments', 'SQL', 'V2__comments.sql', 99, 'bob', now(), 3, false)"
            ]))
        let adopt = try mig("adopt")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(try project.states() == ["1:applied", "1_1:applied", "2:dirty"])
        #expect(try mig("resolve", "2", "--not-applied").status == 0)
        let up = try mig("up")
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("applied 2_comments"))
    }

    @Test func aToolTableInAnotherSchema() throws {
        try project.write(.dbmate)
        try database.query("CREATE SCHEMA app; ALTER TABLE schema_migrations SET SCHEMA app")
        #expect(try mig("adopt").stderr.contains("no history table of another tool found"))
        let adopt = try mig("adopt", "--from", "dbmate", "--table", "app.schema_migrations")
        #expect(adopt.status == 0, "\(adopt.stderr)")
        #expect(adopt.stdout.contains("found app.schema_migrations (dbmate): 2 migration(s)"), "\(adopt.stdout)")
        #expect(try project.states().last == "20240101000003:pending")
    }

    @Test func baselineOnPostgreSQL() throws {
        try project.write(.dbmate)
        try database.query("DROP TABLE schema_migrations")
        let baseline = try mig("baseline", "20240101000002")
        #expect(baseline.status == 0, "\(baseline.stderr)")
        #expect(try project.states() == ["20240101000001:applied", "20240101000002:applied", "20240101000003:pending"])
        #expect(try mig("up").status == 0)
        #expect(try database.query("SELECT to_regclass('comments') IS NOT NULL") == ["t"])
    }
}
