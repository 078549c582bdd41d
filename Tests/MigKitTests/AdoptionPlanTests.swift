import Foundation
import Testing

@testable import MigKit

/// Matching another tool's history with the migration files.
@Suite struct AdoptionPlanTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        for (version, name) in [("0001", "users"), ("0002", "posts"), ("0003", "tags"), ("0004", "likes")] {
            try fixture.add(version, name, up: "CREATE TABLE \(name) (id INTEGER);")
        }
    }

    private func plan(_ history: ForeignHistory) throws -> AdoptionPlan {
        AdoptionPlan(history: history, catalog: try fixture.catalog(), context: fixture.context)
    }

    @Test func golangMigratesRowCoversEveryVersionAtOrBelowIt() throws {
        let plan = try plan(
            ForeignHistory(
                tool: .golangMigrate, table: "schema_migrations", entries: [.init(version: "3", state: .failed)],
                coversUpTo: "3"))
        #expect(
            plan.records.map { "\($0.version):\($0.state.rawValue)" } == ["0001:applied", "0002:applied", "0003:dirty"])
        #expect(plan.records[2].completedStatements == [AppliedMigration.failedRevertMarker])
        #expect(
            plan.records.allSatisfy {
                $0.appliedBy == "adopted from golang-migrate by tester" && $0.gitCommit == "abc123"
            })
        #expect(plan.records[0].checksum == (try fixture.catalog().migrations[0].up.checksum))
        #expect(plan.foreignCount == 3 && plan.unmatched.isEmpty)
        #expect(
            plan.findings == [
                "0003_tags failed part-way under golang-migrate: recorded dirty; repair the database, then run "
                    + "`mig resolve 0003 --applied` or `--not-applied`"
            ])
    }

    @Test func versionsMatchWithoutDashesAndUnknownOnesAreFindings() throws {
        let plan = try plan(
            ForeignHistory(
                tool: .diesel, table: "__diesel_schema_migrations",
                entries: [.init(version: "0-0-0-2"), .init(version: "9", name: "gone"), .init(version: "v1")]))
        #expect(plan.matched.map(\.text) == ["0002"])
        #expect(plan.records.map(\.version.text) == ["0002", "9"])
        #expect(plan.records[1].name == "gone" && plan.records[1].checksum.isEmpty)
        #expect(plan.unmatched.map(\.recorded) == [false, true])
        #expect(plan.findings.count == 2)
    }

    @Test func trailingZeroComponentsMatchAsInFlyway() throws {
        let plan = try plan(
            ForeignHistory(
                tool: .flyway, table: "flyway_schema_history",
                entries: [.init(version: "1.0"), .init(version: "2.0.0"), .init(version: "7.0")]))
        #expect(plan.matched.map(\.text) == ["0001", "0002"])
        #expect(plan.records.map(\.version.text) == ["0001", "0002", "7.0"])
    }
}
