/// Rows laid out in columns for a terminal: each column padded to its widest cell as the
/// terminal shows it, so colour codes (ANSI escape sequences), which take no room, do not
/// push the columns out of line.
public enum TextTable {
    /// The rows, columns separated by two spaces; the last cell of a row is not padded.
    public static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in
            rows.map { column < $0.count ? visibleWidth($0[column]) : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - visibleWidth(cell))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// The characters of `text` a terminal shows: escape sequences (`ESC [ … letter`) left out.
    public static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        var afterEscape = false
        for character in text {
            if afterEscape {
                afterEscape = false
                inEscape = character == "["
                if !inEscape { width += 1 }
            } else if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                afterEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
