import Foundation
import MigTestSupport
import Testing

/// `mig repair` on a real SQLite file: re-recording the checksums of intentionally edited migrations.
@Suite struct RepairCommandTests {
    let project: AdoptProject

    init() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.url.appending(path: "app.db").path
        project = try AdoptProject(scratch: scratch, dialect: .sqlite, databaseURL: "sqlite:app.db") { sql in
            try AdoptCommandTests.sqlite(path, sql)
        }
        for (path, text) in ForeignToolFixture.goose.files { try scratch.write("db/migrations/\(path)", text) }
        #expect(try mig("up").status == 0)
        try edit()
    }

    /// An intentional edit of an applied migration: a comment.
    private func edit(_ comment: String = "-- users of the app") throws {
        try project.scratch.write(
            "db/migrations/00001_users.sql",
            "-- +goose Up\n\(comment)\n\(ForeignToolFixture.users)\n-- +goose Down\nDROP TABLE users;\n")
    }

    /// Runs mig as the operating-system user `user` (who the history says applied or repaired).
    private func mig(_ arguments: String..., input: String? = nil, as user: String = "deployer") throws
        -> MigProcess.Result
    {
        try MigProcess.run(
            arguments, in: project.scratch.url, environment: project.environment.merging(["USER": user]) { $1 },
            input: input)
    }

    private func appliedBy() throws -> String {
        try project.sql("SELECT applied_by FROM mig_history WHERE version = '00001'").joined()
    }

    /// `event version` of each line `mig log --format json` prints.
    private func log(_ versions: String...) throws -> [[String: Any]] {
        let result = try MigProcess.run(
            ["log", "--format", "json"] + versions, in: project.scratch.url, environment: project.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return report["events"] as? [[String: Any]] ?? []
    }

    @Test func asksBeforeReRecordingAndSaysWhoDidIt() throws {
        #expect(try project.states() == ["00001:changed", "00002:applied", "00003:applied"])

        let dryRun = try mig("repair", "--dry-run")
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout == "would re-record the checksum of 00001_users\n")

        let unanswered = try mig("repair", input: "")
        #expect(unanswered.status == 1)
        #expect(unanswered.stderr.contains("00001_users"))
        #expect(unanswered.stderr.contains("not confirmed: nothing was changed"), "\(unanswered.stderr)")
        #expect(try project.states().first == "00001:changed")

        let by = try appliedBy()
        #expect(by == "deployer")
        let confirmed = try mig("repair", input: "y\n", as: "repairer")
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(confirmed.stdout == "re-recorded the checksum of 00001_users\n")
        #expect(try project.states().allSatisfy { $0.hasSuffix(":applied") })
        let repaired = try log("00001").filter { $0["event"] as? String == "repaired" }
        #expect(repaired.count == 1)
        #expect((repaired.first?["detail"] as? String)?.hasPrefix("checksum re-recorded; it was ") == true)
        #expect(repaired.first?["by"] as? String == "repairer" && repaired.first?["at"] != nil)
        #expect(try appliedBy() == by, "the row still says who applied it")

        let nothing = try mig("repair", "--yes")
        #expect(nothing.status == 0)
        #expect(nothing.stderr.contains("nothing to repair"))

        try edit("-- the app's users")
        #expect(try mig("repair", "--yes").status == 0)
        #expect(try log("1").map { $0["event"] as? String } == ["applied", "repaired", "repaired"])
        #expect(try appliedBy() == by)
    }

    @Test func refusesAVersionThatIsNotChanged() throws {
        let refused = try mig("repair", "00002", "--yes")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("migration 00002 is applied, not changed"), "\(refused.stderr)")
        #expect(try project.states().first == "00001:changed")
        #expect(try mig("repair", "1", "--yes").status == 0)
        #expect(try project.states().first == "00001:applied")
    }
}


