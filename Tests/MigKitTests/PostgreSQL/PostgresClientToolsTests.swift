import Foundation
import Testing

@testable import MigKit

/// Finding `pg_dump` and `psql` for a server's version, and handing them a connection without a
/// command line that shows the password.
struct PostgresClientToolsTests {
    @Test func theToolsOfTheServersVersionOrTheOldestNewerOnesAreChosen() throws {
        let installed = PostgresClientTools.installed(environment: ProcessInfo.processInfo.environment)
        let versions = Set(installed.map(\.majorVersion))
        let newest = try #require(versions.max())
        #expect(PostgresClientTools.forServer(major: newest, environment: [:])?.majorVersion == newest)
        // pg_dump refuses a server newer than itself: none fits.
        #expect(PostgresClientTools.forServer(major: newest + 1, environment: [:]) == nil)
        // An older server gets the oldest installed version that is at least as new.
        #expect(PostgresClientTools.forServer(major: 9, environment: [:])?.majorVersion == versions.min())
    }

    @Test func theConnectionGoesThroughLibpqsEnvironmentVariablesAndThePasswordApart() throws {
        let url = try PostgresConnectionString(
            "postgres://deploy:s3cr%3At@db.internal:6432/app?sslmode=verify-full&application_name=deployer",
            environment: [:])
        let (variables, password) = url.clientEnvironment(
            database: nil, inherited: ["PGPASSWORD": "other", "PATH": "/usr/bin", "PGOPTIONS": "-c x=1"])
        #expect(password == "s3cr:t")
        #expect(variables["PGPASSWORD"] == nil)
        #expect(variables["PGHOST"] == "db.internal")
        #expect(variables["PGPORT"] == "6432")
        #expect(variables["PGUSER"] == "deploy")
        #expect(variables["PGDATABASE"] == "app")
        #expect(variables["PGSSLMODE"] == "verify-full")
        #expect(variables["PGAPPNAME"] == "deployer")
        #expect(variables["PATH"] == "/usr/bin" && variables["PGOPTIONS"] == "-c x=1")
        #expect(!variables.values.contains { $0.contains("s3cr") })

        let words = try PostgresConnectionString("host=/run/pg dbname=app", environment: [:])
        let (other, none) = words.clientEnvironment(database: "shadow_1", inherited: ["PGPASSWORD": "kept"])
        #expect(none == nil)
        #expect(other["PGPASSWORD"] == "kept")
        #expect(other["PGHOST"] == "/run/pg" && other["PGDATABASE"] == "shadow_1")
    }
}
