/// Reduces SQL text to a canonical form for schema comparison: white space and comments
/// collapsed, keywords and unquoted names in lower case, quoted text left exactly as written.
///
/// Two definitions that differ only in layout (`CREATE VIEW v AS SELECT a\n  FROM t` and
/// `create view v as select a from t`) normalise to the same text.
public enum SQLNormalizer {
    public static func normalize(_ sql: String) -> String {
        var output = ""
        var pendingSpace = false
        var characters = Array(sql)[...]
        func emit(_ text: String) {
            if pendingSpace, let last = output.last, needsSpace(between: last, and: text.first!) { output += " " }
            pendingSpace = false
            output += text
        }
        while let character = characters.first {
            switch character {
            case "'", "\"", "`", "[":
                let closing: Character = character == "[" ? "]" : character
                var literal = String(character)
                characters.removeFirst()
                while let next = characters.first {
                    literal.append(next)
                    characters.removeFirst()
                    if next == closing {
                        // A doubled quote is an escaped quote inside the literal.
                        if characters.first == closing, closing != "]" {
                            literal.append(closing)
                            characters.removeFirst()
                            continue
                        }
                        break
                    }
                }
                emit(literal)
            case "-" where characters.dropFirst().first == "-":
                while let next = characters.first, next != "\n" { characters.removeFirst() }
                pendingSpace = true
            case "/" where characters.dropFirst().first == "*":
                characters.removeFirst(2)
                while !characters.isEmpty, !(characters.first == "*" && characters.dropFirst().first == "/") {
                    characters.removeFirst()
                }
                characters = characters.dropFirst(2)
                pendingSpace = true
            case let space where space.isWhitespace:
                characters.removeFirst()
                pendingSpace = true
            default:
                characters.removeFirst()
                emit(String(character).lowercased())
            }
        }
        while output.last == ";" || output.last == " " { output.removeLast() }
        return output
    }

    /// Whether a space is needed to keep two tokens apart (none around punctuation).
    private static func needsSpace(between left: Character, and right: Character) -> Bool {
        let tight: Set<Character> = ["(", ")", ",", ";", "."]
        return !tight.contains(left) && !tight.contains(right)
    }
}
