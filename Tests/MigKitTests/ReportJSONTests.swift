import Foundation
import Testing

@testable import MigKit

/// `ReportJSON` must write exactly what `JSONEncoder` writes with the report options.
@Suite struct ReportJSONTests {
    private func foundationText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private enum Colour: String, Codable { case red, green }

    private struct Shapes: Encodable {
        let empty: [Int] = []
        let emptyObject: [String: Int] = [:]
        let nested: [[Int]] = [[1, 2], [], [3]]
        let text = "a/b \" \\ \n \r \t \u{8} \u{C} \u{1} \u{1F} \u{7F} é 日本 😀 \u{2028}"
        let missing: Int? = nil
        let present: String? = "here"
        let numbers: [Double] = [1.5, 2, 0.1, -3.25, 1e21, 123_456_789, -0.0]
        let integers: [Int64] = [0, -1, .min, .max]
        let unsigned: UInt64 = .max
        let small: [Int8] = [-128, 127]
        let middle: Int32 = -2_000_000
        let word: UInt = 7
        let half: UInt16 = 65_535
        let floats: [Float] = [0.1, 2, -1.5]
        let single: Float = 3.25
        let flags = [true, false]
        let colour = Colour.green
        let byNumber: [Int: String] = [2: "b", 10: "a"]
        let keys = ["measurementSkipped": 1, "measurements": 2, "B": 3, "_x": 4, "a10": 5, "a9": 6, "é": 7]
        let date = Date(timeIntervalSince1970: 1_700_000_000.75)
        let url = URL(string: "https://example.com/a b")
        let objects = [Inner(name: "x", values: []), Inner(name: "y", values: [Inner(name: "z", values: [])])]
    }

    private struct Inner: Encodable {
        let name: String
        let values: [Inner]
    }

    @Test func everyShapeIsWrittenAsJSONEncoderWritesIt() throws {
        #expect(try ReportJSON.text(Shapes()) == foundationText(Shapes()))
    }

    @Test func findingsWithCommitsAreWrittenAsJSONEncoderWritesThem() throws {
        let id = try JSONDecoder().decode(GitObjectID.self, from: Data("\"\(String(repeating: "ab", count: 20))\"".utf8))
        let findings = [
            Finding(
                Diagnostic(
                    code: .lint, rule: .requireConcurrentIndexCreation, severity: .warning,
                    location: SourceLocation(path: "db/migrations/0002_index.up.sql", line: 3),
                    related: [SourceLocation(path: "db/migrations/0001_a.up.sql")], message: "CREATE INDEX … \"t\"",
                    hint: "use CONCURRENTLY"),
                commits: [
                    CommitInfo(
                        id: id, author: "Zoë", email: "z@example.com", time: Date(timeIntervalSince1970: 86_400 * 365),
                        summary: "add index")
                ]),
            Finding(Diagnostic(code: .duplicateVersion, location: nil, message: "two")),
        ]
        #expect(try ReportJSON.text(findings) == foundationText(findings))
    }
}
