import MigKit
import Testing

@Suite struct TextTableTests {
    private static func red(_ text: String) -> String { "\u{1B}[31m\(text)\u{1B}[0m" }

    @Test func colourCodesDoNotCountAsWidth() {
        let table = TextTable.render([
            [Self.red("STATE"), "NAME"],
            ["applied", "users"],
            [Self.red("dirty"), "orders"],
        ])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[0] == Self.red("STATE") + "    NAME")
        #expect(lines[1] == "applied  users")
        #expect(lines[2] == Self.red("dirty") + "    orders")
        #expect(TextTable.visibleWidth(Self.red("dirty")) == 5)
    }

    @Test func wideAndAccentedCellsPadByCharacters() {
        #expect(TextTable.render([["é", "x"], ["ab", "y"]]) == "é   x\nab  y")
        #expect(TextTable.render([]) == "")
    }
}
