import Foundation
import MigTestSupport

/// A scratch Git repository holding a mig project, for tests of `mig check`, `fix` and `history`.
final class BranchRepository {
    let scratch: ScratchDirectory
    let git: GitFixture

    init(versioning: String = "sequential", guardFile: Bool = false) throws {
        scratch = try ScratchDirectory()
        git = try GitFixture.initialize(at: scratch.url.appending(path: "repo"))
        try git.write(
            ".migrate/config.toml",
            """
            [migrations]
            dir = "db/migrations"
            versioning = "\(versioning)"
            require_down = true
            guard = \(guardFile)

            """)
    }

    var url: URL { git.url }

    /// The path of a sections-layout migration `version_name` in the migration directory.
    static func path(_ identifier: String) -> String { "db/migrations/\(identifier).sql" }

    /// A sections-layout migration creating a table named after it.
    static func text(_ identifier: String, _ body: String? = nil) -> String {
        let table = "t_" + identifier.filter { $0.isLetter || $0.isNumber }
        return "-- mig:up\n\(body ?? "CREATE TABLE \(table) (id INTEGER);")\n-- mig:down\nDROP TABLE \(table);\n"
    }

    /// Writes the migrations and commits them.
    @discardableResult
    func commitMigrations(_ message: String, _ identifiers: String...) throws -> String {
        for identifier in identifiers { try git.write(Self.path(identifier), Self.text(identifier)) }
        return try git.commit(message)
    }

    func mig(_ arguments: [String], in directory: URL? = nil) throws -> MigProcess.Result {
        try MigProcess.run(arguments, in: directory ?? url)
    }

    /// `mig check --format json`, decoded, and the exit status.
    func checkJSON(_ extra: [String] = [], in directory: URL? = nil) throws -> (status: Int32, codes: [String], report: [String: Any]) {
        let result = try mig(["check", "--format", "json"] + extra, in: directory)
        guard let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw DecodingFailure(text: result.stdout + result.stderr)
        }
        let findings = report["findings"] as? [[String: Any]] ?? []
        let codes = findings.compactMap { ($0["diagnostic"] as? [String: Any])?["code"] as? String }
        return (result.status, codes, report)
    }

    struct DecodingFailure: Error {
        let text: String
    }
}
