import Foundation
import MigTestSupport
import Testing

@Suite struct ListCommandTests {
    @Test func listsMigrationsAsJSON() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("db/migrations/0002_second.up.sql", "SELECT 2;\n")
        try scratch.write("db/migrations/0001_first.up.sql", "SELECT 1;\n")
        let result = try MigProcess.run(["list", "--format", "json"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let versions = (report?["migrations"] as? [[String: Any]])?.compactMap { $0["version"] as? String }
        #expect(versions == ["0001", "0002"])
    }
}
