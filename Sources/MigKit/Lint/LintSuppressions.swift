/// The `-- mig:lint-ignore RULE[,RULE] reason…` comments of one script: which rules they silence
/// for the whole script or for one statement, and the ignores that are themselves findings
/// (no reason, an unknown rule, no statement to apply to).
///
/// An ignore in the comments before the first statement, followed by a blank line, covers the
/// whole script; any other applies to the statement that starts right after its comment lines.
struct LintSuppressions {
    static let marker = "mig:lint-ignore"

    private(set) var wholeScript: Set<LintRule> = []
    /// Rules silenced per statement, by the statement's first script line.
    private(set) var byLine: [Int: Set<LintRule>] = [:]
    private(set) var problems: [LintHit] = []

    /// Reads the ignores of `sql`, whose statements start on `statementLines` (1-based script lines).
    init(sql: String, statementLines: [Int]) {
        // Most scripts hold no ignore: they are not split into lines.
        guard sql.containsBytes(Self.marker) else { return }
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespace()
        }
        let starts = Set(statementLines)
        let firstStatement = statementLines.min() ?? Int.max
        for (index, line) in lines.enumerated() {
            guard line.hasPrefix("--") else { continue }
            let comment = line.dropFirst(2).trimmingWhitespace()
            guard comment.hasPrefix(Self.marker) else { continue }
            let lineNumber = index + 1
            guard let rules = parse(comment.dropFirst(Self.marker.count), line: lineNumber) else { continue }
            var next = index + 1
            while next < lines.count, lines[next].hasPrefix("--") { next += 1 }
            let following = next + 1
            if lineNumber < firstStatement, next >= lines.count || lines[next].isEmpty {
                wholeScript.formUnion(rules)
            } else if starts.contains(following) {
                byLine[following, default: []].formUnion(rules)
            } else {
                problems.append(
                    LintHit(
                        rule: .invalidLintIgnore, line: lineNumber,
                        message: "this ignore applies to nothing: put it on the line right above a statement, "
                            + "or before the first statement followed by a blank line for the whole file"))
            }
        }
    }

    /// The rules of one ignore comment (the text after the marker), or nil when it is a finding.
    private mutating func parse(_ text: Substring, line: Int) -> Set<LintRule>? {
        var rest = text.trimmingWhitespace()[...]
        var names: [Substring] = []
        repeat {
            let word = rest.prefix { !$0.isWhitespace }
            rest = rest.dropFirst(word.count).trimmingWhitespace()[...]
            names += word.split(separator: ",")
            guard word.hasSuffix(",") else { break }
        } while !rest.isEmpty
        let unknown = names.filter { LintRule(rawValue: String($0)) == nil }
        if names.isEmpty || !unknown.isEmpty {
            let what = names.isEmpty ? "names no rule" : "names the unknown rule \(unknown.joined(separator: ", "))"
            problems.append(LintHit(rule: .invalidLintIgnore, line: line, message: "this ignore \(what)"))
            return nil
        }
        if rest.isEmpty {
            problems.append(
                LintHit(
                    rule: .invalidLintIgnore, line: line,
                    message: "this ignore of \(names.joined(separator: ",")) gives no reason"))
            return nil
        }
        return Set(names.compactMap { LintRule(rawValue: String($0)) })
    }

    func silences(_ hit: LintHit) -> Bool {
        wholeScript.contains(hit.rule) || byLine[hit.line]?.contains(hit.rule) == true
    }
}
