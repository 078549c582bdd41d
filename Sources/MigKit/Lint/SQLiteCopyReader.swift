/// Reads the names in the parts of a SQLite rebuild the lint follows: a table name, an
/// `INSERT` column list and the select list of the `INSERT … SELECT` that copies the rows.
///
/// It exists so that a name is read as SQLite reads it (`"first name"` whole, `u.*` a star,
/// `NULL AS email` no mention of `email`) rather than as the words of the text.
enum SQLiteCopyReader {
    /// What a select list takes from the table it reads.
    enum SelectList: Equatable {
        /// `*` (or `t.*`) alone: every column, by position.
        case star
        /// The columns the items' expressions read, lowercased; aliases are not among them.
        case columns(Set<String>)
    }

    /// A word of SQL as this reader needs it: a name (unquoted, lowercased), a literal (string,
    /// blob or number: a value, never a column) or one sign.
    private enum Token: Equatable {
        case name(String)
        case literal
        case sign(Character)
    }

    /// A table name without quotes or its schema (`main.`), lowercased.
    static func tableName(_ text: Substring) -> String {
        guard case .name(let name)? = tokens(text).last(where: { $0 != .sign(".") }) else { return "" }
        return name
    }

    /// The names of an `INSERT` column list, lowercased.
    static func columnNames(_ text: Substring) -> [String] {
        tokens(text).compactMap { if case .name(let name) = $0 { name } else { nil } }
    }

    /// What the select list `text` takes from the table it reads.
    static func selectList(_ text: Substring) -> SelectList {
        let items = split(tokens(text))
        if items.count == 1, isStar(items[0]) { return .star }
        var read: Set<String> = []
        for item in items where !isStar(item) {
            let expression = withoutAlias(item)
            for (index, token) in expression.enumerated() {
                guard case .name(let name) = token else { continue }
                let next = expression.indices.contains(index + 1) ? expression[index + 1] : nil
                // A function's name and a qualifier (`u` of `u.email`) are not columns.
                if next != .sign("("), next != .sign(".") { read.insert(name) }
            }
        }
        return .columns(read)
    }

    /// `*`, `table.*` or `schema.table.*`.
    private static func isStar(_ item: [Token]) -> Bool {
        item.last == .sign("*") && (item.count == 1 || item[item.count - 2] == .sign("."))
    }

    /// The item's expression: `expr AS alias` and `expr alias` (after a name, a literal, a call
    /// or `END`) lose the alias.
    private static func withoutAlias(_ item: [Token]) -> [Token] {
        var depth = 0
        for (index, token) in item.enumerated() {
            if token == .sign("(") { depth += 1 } else if token == .sign(")") { depth -= 1 }
            if depth == 0, token == .name("as") { return Array(item[..<index]) }
        }
        guard item.count >= 2, case .name = item[item.count - 1] else { return item }
        let before = Array(item.dropLast())
        let qualifiedName = before.enumerated().allSatisfy { index, token in
            if index.isMultiple(of: 2) { if case .name = token { return true } else { return false } }
            return token == .sign(".")
        }
        let endsAValue = before.last.map { [.sign(")"), .name("end"), .literal].contains($0) } ?? false
        return qualifiedName || endsAValue ? before : item
    }

    /// The items of a list, split at the commas outside parentheses.
    private static func split(_ tokens: [Token]) -> [[Token]] {
        var items: [[Token]] = [[]]
        var depth = 0
        for token in tokens {
            if token == .sign("(") { depth += 1 } else if token == .sign(")") { depth -= 1 }
            if depth == 0, token == .sign(",") { items.append([]) } else { items[items.count - 1].append(token) }
        }
        return items.filter { !$0.isEmpty }
    }

    /// The names, literals and signs of `text`; comments are left out.
    private static func tokens(_ text: Substring) -> [Token] {
        var tokens: [Token] = []
        var rest = text[...]
        while let first = rest.first {
            switch first {
            case "\"", "`", "[":
                let close: Character = first == "[" ? "]" : first
                let (quoted, after) = enclosed(rest.dropFirst(), by: close)
                tokens.append(.name(quoted.lowercased()))
                rest = after
            case "'":
                rest = enclosed(rest.dropFirst(), by: "'").rest
                tokens.append(.literal)
            case "-" where rest.dropFirst().first == "-":
                rest = rest.drop { $0 != "\n" }
            case "/" where rest.dropFirst().first == "*":
                rest = rest.dropFirst(2).firstRange(of: "*/").map { rest[$0.upperBound...] } ?? ""
            case _ where first.isNumber:
                rest = rest.drop { $0.isLetter || $0.isNumber || $0 == "." }
                tokens.append(.literal)
            case _ where first.isLetter || first == "_":
                let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
                rest = rest.dropFirst(word.count)
                // x'0A' is a blob literal, not the name x.
                if word.lowercased() == "x", rest.first == "'" { continue }
                tokens.append(.name(word.lowercased()))
            case _ where first.isWhitespace:
                rest = rest.dropFirst()
            default:
                tokens.append(.sign(first))
                rest = rest.dropFirst()
            }
        }
        return tokens
    }

    /// The text up to the closing `close` (a doubled one stands for itself) and what follows it.
    private static func enclosed(_ text: Substring, by close: Character) -> (String, rest: Substring) {
        var content = ""
        var rest = text
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == close {
                guard close != "]", rest.first == close else { return (content, rest) }
                rest = rest.dropFirst()
            }
            content.append(character)
        }
        return (content, rest)
    }
}
