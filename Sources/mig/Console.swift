import Foundation
import MigKit

/// Writes to the terminal: data to stdout, diagnostics to stderr, colour only on a terminal
/// and only when `NO_COLOR` is unset.
enum Console {
    /// Writes `text` as it is. A reader that has gone (`mig up | head -1`) loses the text, never
    /// the run: `FileHandle.write(_:)` would stop mig on the broken pipe, half-way through its work.
    static func emit(_ text: String, to handle: FileHandle) {
        try? handle.write(contentsOf: Data(text.utf8))
    }

    static func print(_ text: String) {
        emit(text + "\n", to: .standardOutput)
    }

    /// `print` for UTF-8 bytes (a long JSON report), written as they are.
    static func printLine(_ bytes: [UInt8]) {
        try? FileHandle.standardOutput.write(contentsOf: bytes)
        try? FileHandle.standardOutput.write(contentsOf: [UInt8(ascii: "\n")])
    }

    static func error(_ text: String) {
        emit(paint("error:", .red) + " " + text + "\n", to: .standardError)
    }

    static func warning(_ text: String) {
        emit(paint("warning:", .yellow) + " " + text + "\n", to: .standardError)
    }

    static func note(_ text: String) {
        emit(text + "\n", to: .standardError)
    }

    enum Colour: String {
        case red = "31", green = "32", yellow = "33", bold = "1", dim = "2"
    }

    /// Whether stderr is a terminal: progress lines are shown only there.
    static let isTerminal = isatty(STDERR_FILENO) == 1

    static let usesColour: Bool = {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
            && isatty(STDERR_FILENO) == 1
    }()

    static func paint(_ text: String, _ colour: Colour) -> String {
        usesColour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Prints a value as pretty, key-sorted JSON (the stable machine format).
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints findings to stderr as `path:line: severity: message [code]` with the hint beneath.
    static func printDiagnostics(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        emit(describe(diagnostics) + "\n", to: .standardError)
    }

    /// Findings as `path:line: severity: message [code]` lines, each with its hint beneath.
    static func describe(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { diagnostic in
            let place = diagnostic.location.map { "\($0): " } ?? ""
            let label = diagnostic.severity == .error ? paint("error:", .red) : paint("warning:", .yellow)
            var text = "\(place)\(label) \(diagnostic.message) [\(diagnostic.ruleID)]"
            for related in diagnostic.related { text += "\n    also: \(related)" }
            if let hint = diagnostic.hint { text += "\n    " + paint("hint: " + hint, .dim) }
            return text
        }.joined(separator: "\n")
    }

    /// Lays rows out in columns padded to the widest cell as the terminal shows it.
    static func table(_ rows: [[String]]) -> String { TextTable.render(rows) }
}
