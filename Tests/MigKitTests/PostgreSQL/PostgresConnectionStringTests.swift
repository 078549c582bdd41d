import Testing

@testable import MigKit

@Suite struct PostgresConnectionStringTests {
    @Test func redactsTheURLPasswordAsWrittenAndDecoded() {
        let url = PostgresConnectionString("postgres://me:p%40ss%3Aword@db:5432/app?sslmode=require", environment: [:])
        #expect(url.redacted == "postgres://me:***@db:5432/app?sslmode=require")
        #expect(url.redact("FATAL: bad password p@ss:word and p%40ss%3Aword") == "FATAL: bad password *** and ***")
    }

    @Test func redactsQueryKeyValueAndEnvironmentPasswords() {
        #expect(
            PostgresConnectionString("postgresql:///app?host=/run/pg&password=hunter2", environment: [:]).redacted
                == "postgresql:///app?host=/run/pg&password=***")
        #expect(
            PostgresConnectionString("host=db password='two words' dbname=app", environment: [:]).redacted
                == "host=db password='***' dbname=app")
        #expect(
            PostgresConnectionString("postgres://me@db/app", environment: ["PGPASSWORD": "fromenv"]).redact(
                "x fromenv y")
                == "x *** y")
    }

    @Test func leavesURLsWithoutPasswordAlone() {
        #expect(DatabaseLocation.redacted("postgres://me@db/app") == "postgres://me@db/app")
        #expect(DatabaseLocation.redacted("sqlite:db/app.db") == "sqlite:db/app.db")
        #expect(DatabaseLocation.redacted("postgres://me:secret@host/db") == "postgres://me:***@host/db")
    }
}
