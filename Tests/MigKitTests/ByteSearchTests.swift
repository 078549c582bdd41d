import Testing

@testable import MigKit

@Suite struct ByteSearchTests {
    @Test func findsTheFirstAndTheLastOccurrence() {
        let text = "a.up.b.up.sql"
        #expect(text.byteRange(of: ".up.").map { text[..<$0.lowerBound] } == "a")
        #expect(text.byteRange(of: ".up.", backwards: true).map { text[..<$0.lowerBound] } == "a.up.b")
        #expect(text.byteRange(of: ".down.") == nil)
    }

    @Test func rangesStayOnTheRightCharactersAfterMultiByteText() {
        let text = "é日本__名前"
        let range = text.byteRange(of: "__")
        #expect(range.map { String(text[..<$0.lowerBound]) } == "é日本")
        #expect(range.map { String(text[$0.upperBound...]) } == "名前")
    }

    @Test func candidateFirstBytesThatDoNotMatchAreSkipped() {
        #expect("$ $x ${name}".byteRange(of: "${").map { "$ $x ${name}"[$0.lowerBound...] } == "${name}")
        #expect(!"$$$$".containsBytes("${"))
        #expect("ab".byteRange(of: "abc") == nil)
        #expect("".byteRange(of: "a") == nil)
    }

    @Test func searchesWithinASubstringOnly() {
        let text = "__x__y"
        let tail = text.dropFirst(2)
        #expect(tail.byteRange(of: "__").map { String(tail[..<$0.lowerBound]) } == "x")
        #expect(tail.byteRange(of: "__", backwards: true).map { String(tail[$0.upperBound...]) } == "y")
    }

    @Test func sortsByPathAsStringDoesWithEqualPathsInTheirOrder() {
        let paths = [
            "b.sql", "a.sql", "a", "", "ab", "é.sql", "e\u{301}.sql", "Z", "a.sql", "日本.sql", "a_b", "a.b",
            "0002_x.up.sql", "0002_x.down.sql", "0010_y.sql", "0002_x.sql",
        ]
        let items = paths.enumerated().map { (index: $0.offset, path: $0.element) }
        let expected = items.sorted { $0.path < $1.path }
        let sorted = items.sorted(byPath: \.path)
        #expect(sorted.map(\.index) == expected.map(\.index))
    }
}
