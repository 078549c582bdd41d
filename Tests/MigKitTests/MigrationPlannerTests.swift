import Foundation
import MigKit
import Testing

@Suite struct MigrationPlannerTests {
    let fixture: MigrationFixture

    init() throws {
        fixture = try MigrationFixture()
        try fixture.add("0001", "one", up: "CREATE TABLE one (id INTEGER);", down: "DROP TABLE one;")
        try fixture.add("0002", "two", up: "CREATE TABLE two (id INTEGER);", down: "DROP TABLE two;")
        try fixture.add("0003", "three", up: "CREATE TABLE three (id INTEGER);", down: "DROP TABLE three;")
    }

    private func record(_ version: String, _ name: String, checksum: String, state: AppliedMigration.State = .applied)
        -> AppliedMigration
    {
        AppliedMigration(
            version: Version(version)!, name: name, checksum: checksum, appliedAt: Date(), executionMilliseconds: 1,
            appliedBy: "me", gitCommit: nil, state: state)
    }

    @Test func classifiesOutOfOrderChangedMissingAndDirty() throws {
        let catalog = try fixture.catalog()
        let planner = MigrationPlanner(
            catalog: catalog,
            applied: [
                record("0001", "one", checksum: "edited elsewhere"),
                record("0003", "three", checksum: catalog.migrations[2].up.checksum),
                record("0004", "gone", checksum: "x"),
            ], dialect: .sqlite)
        let states = planner.status().map { "\($0.version.text):\($0.state.rawValue)" }
        #expect(states == ["0001:changed", "0002:out-of-order", "0003:applied", "0004:missing-file"])
        #expect(throws: PlanError.changed([planner.status()[0]])) { try planner.upPlan() }
        let error = try #require(throws: PlanError.self) { try planner.upPlan(allowChanged: true) }
        #expect(error.description.contains("0002_two"))
        #expect(error.description.contains("--allow-out-of-order"))
        let plan = try planner.upPlan(allowOutOfOrder: true, allowChanged: true)
        #expect(plan.steps.map(\.migration.identifier) == ["0002_two"])
    }

    @Test func refusesToApplyPastADirtyMigrationItCannotResume() throws {
        let catalog = try fixture.catalog()
        let dirty = record("0001", "one", checksum: catalog.migrations[0].up.checksum, state: .dirty)
        let unresumable = AppliedMigration(
            version: dirty.version, name: dirty.name, checksum: dirty.checksum, appliedAt: dirty.appliedAt,
            executionMilliseconds: 0, appliedBy: "me", gitCommit: nil, state: .dirty,
            completedStatements: [AppliedMigration.failedRevertMarker])
        let planner = MigrationPlanner(catalog: catalog, applied: [unresumable], dialect: .sqlite)
        #expect(planner.status().first?.state == .dirty)
        #expect(planner.resumePoint(of: planner.status()[0]) == nil)
        #expect(throws: PlanError.self) { try planner.upPlan() }
        // With no statement done (or only unchanged ones), `up` resumes it first.
        let resuming = MigrationPlanner(catalog: catalog, applied: [dirty], dialect: .sqlite)
        #expect(resuming.resumePoint(of: resuming.status()[0]) == 0)
        #expect(try resuming.upPlan().steps.map(\.migration.version.text) == ["0001", "0002", "0003"])
    }

    @Test func plansUpToAVersionAndDownByStepsOrVersion() throws {
        let catalog = try fixture.catalog()
        let empty = MigrationPlanner(catalog: catalog, applied: [], dialect: .sqlite)
        #expect(try empty.upPlan(to: Version("2")).steps.map(\.migration.version.text) == ["0001", "0002"])
        #expect(throws: PlanError.unknownVersion(Version("9")!)) { try empty.upPlan(to: Version("9")) }
        #expect(throws: PlanError.nothingApplied) { try empty.redoPlan() }
        let all = MigrationPlanner(
            catalog: catalog,
            applied: catalog.migrations.map { record($0.version.text, $0.name, checksum: $0.up.checksum) },
            dialect: .sqlite)
        #expect(try all.downPlan().steps == [.revert(catalog.migrations[2])])
        #expect(try all.downPlan(steps: 2).steps.map(\.migration.version.text) == ["0003", "0002"])
        #expect(try all.downPlan(to: Version("1")).steps.map(\.migration.version.text) == ["0003", "0002"])
        #expect(try all.downPlan(to: Version("0")).steps.count == 3)
        #expect(try all.redoPlan().steps == [.revert(catalog.migrations[2]), .apply(catalog.migrations[2])])
    }

    @Test func downToZeroRevertsVersionZeroToo() throws {
        try fixture.add("0000", "setup", up: "CREATE TABLE setup (id INTEGER);", down: "DROP TABLE setup;")
        let catalog = try fixture.catalog()
        let all = MigrationPlanner(
            catalog: catalog,
            applied: catalog.migrations.map { record($0.version.text, $0.name, checksum: $0.up.checksum) },
            dialect: .sqlite)
        #expect(
            try all.downPlan(to: Version("0")).steps.map(\.migration.version.text) == ["0003", "0002", "0001", "0000"])
    }

    @Test func downRevertsInTheOrderTheDatabaseApplied() throws {
        let catalog = try fixture.catalog()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        // 0002 was applied out of order, after 0003: it is the newest, so `down` reverts it first.
        let order = ["0001": 0.0, "0003": 1.0, "0002": 2.0]
        let applied = catalog.migrations.map { migration in
            AppliedMigration(
                version: migration.version, name: migration.name, checksum: migration.up.checksum,
                appliedAt: start.addingTimeInterval(order[migration.version.text]!), executionMilliseconds: 1,
                appliedBy: "me", gitCommit: nil, state: .applied)
        }
        let planner = MigrationPlanner(catalog: catalog, applied: applied.reversed(), dialect: .sqlite)
        #expect(try planner.downPlan().steps.map(\.migration.version.text) == ["0002"])
        #expect(try planner.downPlan(steps: 2).steps.map(\.migration.version.text) == ["0002", "0003"])
        #expect(try planner.downPlan(to: Version("1")).steps.map(\.migration.version.text) == ["0002", "0003"])
        #expect(try planner.redoPlan().steps.map(\.migration.version.text) == ["0002", "0002"])
    }

    @Test func anUpPlanNamesAppliedMigrationsWhoseFilesAreGone() throws {
        let catalog = try fixture.catalog()
        let planner = MigrationPlanner(
            catalog: catalog,
            applied: catalog.migrations.map { record($0.version.text, $0.name, checksum: $0.up.checksum) }
                + [record("0004", "gone", checksum: "x")], dialect: .sqlite)
        let plan = try planner.upPlan()
        #expect(plan.isEmpty)
        #expect(plan.missingFiles.map(\.name) == ["gone"])
    }
}
