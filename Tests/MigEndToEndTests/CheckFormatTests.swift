import Foundation
import MigTestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Every output format of `mig check` on one report with an error and a warning.
@Suite struct CheckFormatTests {
    let repo: BranchRepository

    init() throws {
        repo = try BranchRepository()
        try repo.commitMigrations("users", "0001_users")
        try repo.git.checkout("feature", create: true)
        try repo.commitMigrations("orders", "0002_orders")
        try repo.git.write("db/migrations/0003_items.sql", "-- mig:up\nCREATE TABLE items (id INTEGER);\n")
        try repo.git.commit("items without a down, with a \"quote\" & <angle> in the message")
        try repo.git.checkout("main")
        try repo.commitMigrations("invoices", "0004_invoices")
        try repo.git.checkout("feature")
    }

    @Test func text() throws {
        let result = try repo.mig(["check"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("db/migrations/0002_orders.sql:2: error: 0002_orders (added in "))
        #expect(result.stdout.contains("db/migrations/0003_items.sql: warning: 0003_items has no down script [missing-down]"))
        #expect(result.stdout.contains("2 error(s), 1 warning(s) comparing head "))
    }

    @Test func json() throws {
        let check = try repo.checkJSON()
        #expect(check.status == 1)
        #expect(check.codes == ["reordered-version", "missing-down", "reordered-version"])
        let findings = try #require(check.report["findings"] as? [[String: Any]])
        let commits = try #require(findings[0]["commits"] as? [[String: Any]])
        #expect(commits.map { $0["author"] as? String } == ["Ada Lovelace", "Ada Lovelace"])
        #expect(commits.first?["summary"] as? String == "orders")
        #expect((check.report["mergeBase"] as? String)?.count == 40)
    }

    @Test func githubAnnotations() throws {
        let result = try repo.mig(["check", "--format", "github"])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("::error file=db/migrations/0002_orders.sql,line=2,title=mig reordered-version::0002_orders (added in "))
        #expect(lines[0].contains("%0Ahint: run `mig fix`"))
        #expect(lines.contains { $0.hasPrefix("::warning file=db/migrations/0003_items.sql,title=mig missing-down::") })
    }

    @Test func sarifHasTheRequiredStructure() throws {
        let result = try repo.mig(["check", "--format", "sarif"])
        #expect(result.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        #expect((log["$schema"] as? String)?.hasSuffix("sarif-2.1.0.json") == true)
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let driver = try #require((runs[0]["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "mig")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        let ruleIDs = rules.compactMap { $0["id"] as? String }
        #expect(ruleIDs.contains("reordered-version"))
        let results = try #require(runs[0]["results"] as? [[String: Any]])
        #expect(results.count == 3)
        for result in results {
            let ruleID = try #require(result["ruleId"] as? String)
            #expect(ruleIDs[try #require(result["ruleIndex"] as? Int)] == ruleID)
            #expect(["error", "warning", "note", "none"].contains(result["level"] as? String))
            #expect(((result["message"] as? [String: Any])?["text"] as? String)?.isEmpty == false)
            let locations = try #require(result["locations"] as? [[String: Any]])
            let physical = try #require(locations.first?["physicalLocation"] as? [String: Any])
            let uri = try #require((physical["artifactLocation"] as? [String: Any])?["uri"] as? String)
            #expect(uri.hasPrefix("db/migrations/"))
            if let region = physical["region"] as? [String: Any] {
                #expect((region["startLine"] as? Int ?? 0) >= 1)
            }
        }
    }

    @Test func junitIsWellFormedXML() throws {
        let result = try repo.mig(["check", "--format", "junit"])
        #expect(result.status == 1)
        let collector = JUnitCollector()
        let parser = XMLParser(data: Data(result.stdout.utf8))
        parser.delegate = collector
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")\n\(result.stdout)")
        #expect(collector.suites.first?["failures"] == "2")
        #expect(collector.failureTypes == ["reordered-version", "reordered-version"])
        #expect(collector.testCases.contains("duplicate-version"))
    }

    @Test func cleanRunsPassInEveryFormat() throws {
        try repo.git.checkout("main")
        for format in ["text", "json", "github", "sarif", "junit"] {
            let result = try repo.mig(["check", "--format", format])
            #expect(result.status == 0, "\(format): \(result.stdout)\(result.stderr)")
        }
        #expect(try repo.mig(["check", "--format", "github"]).stdout.isEmpty)
    }
}

/// Collects what a JUnit report holds while `XMLParser` checks it is well-formed.
private final class JUnitCollector: NSObject, XMLParserDelegate {
    var suites: [[String: String]] = []
    var testCases: [String] = []
    var failureTypes: [String] = []

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch elementName {
        case "testsuites": suites.append(attributes)
        case "testcase": testCases.append(attributes["name"] ?? "")
        case "failure": failureTypes.append(attributes["type"] ?? "")
        default: break
        }
    }
}

@Suite struct SubfolderProjectTests {
    @Test func annotationsNamePathsFromTheRepositoryRoot() throws {
        let scratch = try ScratchDirectory()
        let git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
        let text = BranchRepository.text
        try git.commit(
            "service with migrations",
            files: [
                "services/api/.migrate/config.toml": "[migrations]\ndir = \"sql\"\nversioning = \"sequential\"\n",
                "services/api/sql/0001_users.sql": text("0001_users", nil),
            ])
        try git.checkout("feature", create: true)
        try git.commit("orders", files: ["services/api/sql/0002_orders.sql": text("0002_orders", nil)])
        try git.checkout("main")
        try git.commit("invoices", files: ["services/api/sql/0003_invoices.sql": text("0003_invoices", nil)])
        try git.checkout("feature")

        let project = git.url.appending(path: "services/api")
        let textResult = try MigProcess.run(["check"], in: project)
        #expect(textResult.stdout.contains("sql/0002_orders.sql:2: error:"))
        let github = try MigProcess.run(["check", "--format", "github"], in: project)
        #expect(github.status == 1)
        #expect(github.stdout.hasPrefix("::error file=services/api/sql/0002_orders.sql,line=2,"))
        let fromRoot = try MigProcess.run(["-C", "services/api", "check", "--format", "sarif"], in: git.url)
        #expect(fromRoot.stdout.contains("\"uri\" : \"services/api/sql/0002_orders.sql\""))
    }
}
