import Testing

@testable import MigKit

/// The JSON reader of libpg_query's parse trees: escapes, nesting, and text that is not JSON.
@Suite struct PgJSONTests {
    private func parse(_ json: String) throws -> PgJSON {
        try Array(json.utf8).withUnsafeBufferPointer { bytes throws(PgJSON.Malformed) in try PgJSON.parse(bytes) }
    }

    @Test func readsEscapesAndUTF8InStrings() throws {
        let value = try parse(#"{"a": "q\"b\\s\/t\tn\nu\u00e9\ud83d\ude00 é"}"#)
        #expect(value["a"]?.string == "q\"b\\s/t\tn\nué😀 é")
    }

    @Test func readsNodesListsAndScalars() throws {
        let value = try parse(
            #"{"stmts":[{"stmt":{"DropStmt":{"missing_ok":true,"behavior":"DROP_RESTRICT","n":-1.5e3,"x":null,"o":{},"l":[]}}}]}"#
        )
        let statement = try #require(value.statements.first)
        let node = try #require(statement.node)
        #expect(node.name == "DropStmt")
        #expect(node.fields["missing_ok"]?.bool == true)
        #expect(node.fields["behavior"]?.string == "DROP_RESTRICT")
        #expect(node.fields["o"]?.members.isEmpty == true)
        #expect(node.fields["l"]?.array?.isEmpty == true)
        #expect(node.fields["absent"] == nil)
    }

    @Test(arguments: [#"{"a":"#, #"{"a":1"#, #"["x" "y"]"#, #"{"a":tru}"#, #""unterminated"#, "{} x", ""])
    func rejectsTextThatIsNotJSON(_ json: String) {
        #expect(throws: PgJSON.Malformed.self) { try parse(json) }
    }
}
