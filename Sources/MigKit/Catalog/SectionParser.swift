/// Splits a sections-layout file into its up and down scripts.
///
/// Understands mig's own markers (`-- mig:up`, `-- mig:down`), goose's (`-- +goose Up`,
/// `-- +goose Down`, `-- +goose NO TRANSACTION`) and dbmate's (`-- migrate:up`,
/// `-- migrate:down`, with `transaction:false`). Each script keeps the line of the file it
/// starts on.
struct SectionParser {
    /// A problem with the markers of a file, at a line of it.
    struct Failure: Error, Equatable {
        let line: Int
        let message: String
    }

    /// The marker style a file uses, so new files can be written in the same one.
    enum MarkerStyle: String, Sendable, CaseIterable {
        case mig, goose, dbmate

        var upMarker: String {
            switch self {
            case .mig: "-- mig:up"
            case .goose: "-- +goose Up"
            case .dbmate: "-- migrate:up"
            }
        }

        var downMarker: String {
            switch self {
            case .mig: "-- mig:down"
            case .goose: "-- +goose Down"
            case .dbmate: "-- migrate:down"
            }
        }
    }

    private enum Marker {
        case up(outsideTransaction: Bool)
        case down(outsideTransaction: Bool)
        case noTransaction
    }

    let path: String

    func parse(_ text: String) throws(Failure) -> (up: Script, down: Script?) {
        // On scalars: a CRLF is one Character, which a split on "\n" would not cut.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
        var upStart: (line: Int, outside: Bool)?
        var downStart: (line: Int, outside: Bool)?
        var fileOutsideTransaction = false
        var upEnd = lines.count
        var sqlBeforeUp: Int?

        for (offset, rawLine) in lines.enumerated() {
            let lineNumber = offset + 1
            switch Self.marker(in: rawLine) {
            case .up(let outside):
                guard upStart == nil else { throw Failure(line: lineNumber, message: "a second up marker") }
                guard downStart == nil else {
                    throw Failure(line: lineNumber, message: "the up marker comes after the down marker: put the up section first")
                }
                upStart = (lineNumber, outside)
            case .down(let outside):
                guard downStart == nil else { throw Failure(line: lineNumber, message: "a second down marker") }
                guard upStart != nil else {
                    throw Failure(line: lineNumber, message: "a down marker before any up marker: put the up section first")
                }
                downStart = (lineNumber, outside)
                upEnd = offset
            case .noTransaction:
                fileOutsideTransaction = true
            case nil:
                if upStart == nil, sqlBeforeUp == nil, LineKind(rawLine.utf8) == .statement {
                    sqlBeforeUp = lineNumber
                }
            }
        }
        guard let upStart else {
            throw Failure(line: 1, message: "no up marker: add a `-- mig:up` line above the migration's SQL")
        }
        if let sqlBeforeUp {
            throw Failure(line: sqlBeforeUp, message: "SQL before the up marker: move it below `\(lines[upStart.line - 1].trimmingWhitespace())`")
        }
        // An up section of only comments is a no-op that goose and dbmate run and record: so does mig.
        let up = script(lines, from: upStart.line, to: upEnd, outside: upStart.outside || fileOutsideTransaction)
        let down = downStart.map {
            script(lines, from: $0.line, to: lines.count, outside: $0.outside || fileOutsideTransaction)
        }
        return (up, down?.hasStatements == true ? down : nil)
    }

    /// The lines after the marker on line `markerLine` up to (not including) index `end`.
    private func script(_ lines: [Substring], from markerLine: Int, to end: Int, outside: Bool) -> Script {
        var body = lines[markerLine..<max(markerLine, end)].joined(separator: "\n")
        // The CR of a CRLF ending the section's last line belongs to the line break, not to the SQL.
        if body.utf8.last == UInt8(ascii: "\r") { body.removeLast() }
        return Script(path: path, startLine: markerLine + 1, sql: body, runsOutsideTransaction: outside)
    }

    private static func marker(in line: Substring) -> Marker? {
        guard LineKind(line.utf8) == .comment else { return nil }
        let trimmed = line.trimmingWhitespace()
        let words = trimmed.dropFirst(2).split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        guard let first = words.first else { return nil }
        switch first {
        case "mig:up": return .up(outsideTransaction: false)
        case "mig:down": return .down(outsideTransaction: false)
        case "mig:no-transaction": return .noTransaction
        case "+goose":
            switch words.dropFirst().joined(separator: " ") {
            case "up": return .up(outsideTransaction: false)
            case "down": return .down(outsideTransaction: false)
            case "no transaction": return .noTransaction
            default: return nil
            }
        case "migrate:up": return .up(outsideTransaction: words.contains("transaction:false"))
        case "migrate:down": return .down(outsideTransaction: words.contains("transaction:false"))
        default: return nil
        }
    }

    /// Whether the text has a down marker of any tool.
    static func hasDownMarker(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            if case .down = Self.marker(in: line) { return true }
            return false
        }
    }

    /// The marker style of a file's text, if it has up markers of a known tool.
    static func style(of text: String) -> MarkerStyle? {
        for line in text.unicodeScalars.split(separator: "\n").map({ Substring($0) }) {
            switch Self.marker(in: line) {
            case .up:
                let lowered = line.lowercased()
                if lowered.contains("+goose") { return .goose }
                if lowered.contains("migrate:up") { return .dbmate }
                return .mig
            default: continue
            }
        }
        return nil
    }
}
