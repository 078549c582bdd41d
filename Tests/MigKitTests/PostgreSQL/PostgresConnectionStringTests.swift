import Foundation
import Testing

@testable import MigKit

@Suite struct PostgresConnectionStringTests {
    private func shown(_ text: String) throws -> String {
        try PostgresConnectionString(text, environment: [:]).redacted
    }

    @Test func showsTheURLAsLibpqReadsItWithoutThePassword() throws {
        #expect(try shown("postgres://me:p%40ss%3Aword@db:5432/app?sslmode=require") == "postgres://me:***@db:5432/app")
        // libpq reads an unencoded '?' (or '#', ':') as part of the password.
        #expect(try shown("postgres://sp:Q?9xSECRETz@host/db") == "postgres://sp:***@host/db")
        #expect(try shown("postgresql://sp:a#b:c@host/db") == "postgresql://sp:***@host/db")
        #expect(try shown("postgres://me@db/app") == "postgres://me@db/app")
        #expect(
            try shown("postgresql:///app?host=/run/pg&password=Q?9x")
                == "postgresql:///app?password=***&host=%2Frun%2Fpg")
        #expect(try shown("postgres://u:pw@[::1]:5433,h2:5/d%20b") == "postgres://u:***@[::1]:5433,h2:5/d%20b")
        #expect(
            try shown("host=db password='two words' dbname=app user=me") == "host=db dbname=app user=me password=***")
    }

    @Test func refusesAURLWhosePasswordLibpqWouldReadAsHostOrDatabase() {
        for url in ["postgres://sp:x7Q/k9@host/db", "postgres://sp:x7Q@k9@host/db"] {
            #expect {
                _ = try PostgresConnectionString(url, environment: [:])
            } throws: { error in
                let text = String(describing: error)
                return text.contains("percent-encode") && !text.contains("x7Q") && !text.contains("k9")
            }
        }
    }

    @Test func aURLLibpqCannotReadIsAnErrorThatDoesNotRepeatIt() {
        #expect {
            _ = try PostgresConnectionString("postgres://u:SECRET@host/db?x=%zz", environment: [:])
        } throws: { error in
            let text = String(describing: error)
            return text.contains("libpq cannot read the database URL") && !text.contains("SECRET")
        }
    }

    @Test func redactsExactlyThePasswordInMessages() throws {
        let one = try PostgresConnectionString("postgres://u:e@host/db", environment: [:])
        #expect(one.redact("timeout expired") == "timeout expired")
        #expect(one.redact("password e rejected") == "password *** rejected")
        // One secret inside another: the written `pw%2525` decodes to `pw%25`.
        let nested = try PostgresConnectionString("postgres://u:pw%2525@host/db", environment: [:])
        #expect(nested.redact("got pw%2525 and pw%25.") == "got *** and ***.")
        // A shorter secret standing alone at the start of a longer one (`PGPASSWORD` ab, the URL's ab-cd).
        let prefix = try PostgresConnectionString("postgres://u:ab-cd@host/db", environment: ["PGPASSWORD": "ab"])
        #expect(prefix.redact("password ab-cd rejected, ab too") == "password *** rejected, *** too")
        let environment = try PostgresConnectionString("postgres://me@db/app", environment: ["PGPASSWORD": "fromenv"])
        #expect(environment.redact("x fromenv y") == "x *** y")
    }

    @Test func showsSQLiteURLsAsTheyAre() {
        #expect(DatabaseLocation.redacted("sqlite:db/app.db") == "sqlite:db/app.db")
        #expect(DatabaseLocation.redacted("postgres://me:secret@host/db") == "postgres://me:***@host/db")
        #expect(DatabaseLocation.redacted("mysql://me:secret@host/db") == "(a database URL)")
    }

    @Test func messagesAboutUnknownURLsDoNotRepeatThem() throws {
        for url in ["mysql://me:secret@host/db", "secret", "POSTGRES://me:secret@host/db"] {
            #expect {
                _ = try DatabaseLocation(url, root: URL(fileURLWithPath: "/"))
            } throws: { error in !String(describing: error).contains("secret") }
        }
        #expect(
            try DatabaseLocation("host=db password=secret", root: URL(fileURLWithPath: "/"))
                == .postgres(url: "host=db password=secret"))
    }
}
