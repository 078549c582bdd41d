import Foundation

/// A report of findings that the renderers can write: `mig check`'s and `mig lint`'s.
public protocol DiagnosticReport: Encodable {
    var findings: [Finding] { get }
    /// The project root relative to the repository root, for tools that resolve paths from there.
    var pathPrefix: String { get }
    /// The command, for JUnit's suite names (`mig check`).
    var tool: String { get }
    /// What was checked against, for JUnit's suite name (`mig check against main`).
    var subject: String { get }
    /// The rules the report ran, each a passing JUnit test case when it found nothing.
    var ranRules: [String] { get }
}

extension DiagnosticReport {
    /// A finding's path as the repository root sees it.
    public func repositoryPath(_ location: SourceLocation) -> String {
        pathPrefix.isEmpty ? location.path : pathPrefix + "/" + location.path
    }
}

extension CheckReport: DiagnosticReport {
    public var tool: String { "mig check" }
    public var subject: String { "mig check against \(base)" }
    public var ranRules: [String] { CheckCode.allCases.filter(\.isBranchCheck).map(\.rawValue) }
}

/// Turns a `CheckReport` or `LintReport` into the machine formats CI systems read: JSON, GitHub
/// workflow annotations, SARIF 2.1.0 (code-scanning dashboards) and JUnit XML (test reports).
/// Human text is the CLI's job, since it depends on the terminal.
public enum CheckReportRenderer {
    /// Stable, key-sorted JSON of the whole report.
    public static func json(_ report: some DiagnosticReport) throws -> String {
        try ReportJSON.text(report)
    }

    /// `json`'s UTF-8 bytes, to write out without a `String` in between.
    public static func jsonBytes(_ report: some DiagnosticReport) throws -> [UInt8] {
        try ReportJSON.bytes(report)
    }

    // MARK: - GitHub

    /// One `::error file=…,line=…,title=…::message` workflow command per finding.
    public static func github(_ report: some DiagnosticReport) -> String {
        report.findings.map { finding in
            let diagnostic = finding.diagnostic
            var properties: [String] = []
            if let location = diagnostic.location {
                properties.append("file=" + escapeProperty(report.repositoryPath(location)))
                if let line = location.line { properties.append("line=\(line)") }
            }
            properties.append("title=" + escapeProperty("mig \(diagnostic.ruleID)"))
            let command = diagnostic.severity == .error ? "error" : "warning"
            return "::\(command) \(properties.joined(separator: ","))::\(escapeData(fullMessage(diagnostic)))"
        }.joined(separator: "\n")
    }

    static func fullMessage(_ diagnostic: Diagnostic) -> String {
        diagnostic.message + (diagnostic.hint.map { "\nhint: " + $0 } ?? "")
    }

    /// GitHub's escaping for a command's message (`%`, CR, LF).
    private static func escapeData(_ text: String) -> String {
        text.replacing("%", with: "%25").replacing("\r", with: "%0D").replacing("\n", with: "%0A")
    }

    /// GitHub's escaping for a property value (also `:` and `,`).
    private static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacing(":", with: "%3A").replacing(",", with: "%2C")
    }

    // MARK: - SARIF

    /// A SARIF 2.1.0 log with one run, a rule per check code and lint rule (with its fix as help),
    /// and a result per finding.
    public static func sarif(_ report: some DiagnosticReport) throws -> String {
        let checkRules = CheckCode.allCases.filter { $0 != .lint }.map { code in
            SARIF.Rule(id: code.rawValue, name: code.rawValue, shortDescription: .init(text: code.summary), help: nil)
        }
        let ranLint =
            report.ranRules.contains { LintRule(rawValue: $0) != nil } || report.findings.contains { $0.diagnostic.rule != nil }
        let lintRules = (ranLint ? LintRule.allCases : []).map { rule in
            SARIF.Rule(
                id: rule.rawValue, name: rule.rawValue, shortDescription: .init(text: rule.why),
                help: .init(text: "Safe way: " + rule.fix))
        }
        let rules = checkRules + lintRules
        let results = report.findings.map { finding in
            let diagnostic = finding.diagnostic
            let locations = diagnostic.location.map { [SARIF.Location(report.repositoryPath($0), line: $0.line)] } ?? []
            return SARIF.Result(
                ruleId: diagnostic.ruleID,
                ruleIndex: rules.firstIndex { $0.id == diagnostic.ruleID }!,
                level: diagnostic.severity == .error ? "error" : "warning",
                message: .init(text: fullMessage(diagnostic)),
                locations: locations,
                relatedLocations: diagnostic.related.isEmpty
                    ? nil : diagnostic.related.map { SARIF.Location(report.repositoryPath($0), line: $0.line) })
        }
        let log = SARIF.Log(
            runs: [
                SARIF.Run(
                    tool: .init(driver: .init(rules: rules)), results: results)
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(log), as: UTF8.self)
    }

    // MARK: - JUnit

    /// A JUnit XML report: one test case per check code that passed, one failing test case per
    /// error finding; warnings pass with their text in `system-out`.
    public static func junit(_ report: some DiagnosticReport) -> String {
        var cases: [String] = []
        let className = report.tool.replacing(" ", with: ".")
        let found = Set(report.findings.map(\.diagnostic.ruleID))
        for rule in report.ranRules where !found.contains(rule) {
            cases.append("    <testcase classname=\"\(className)\" name=\"\(rule)\"/>")
        }
        var failures = 0
        for finding in report.findings {
            let diagnostic = finding.diagnostic
            let place = diagnostic.location.map { report.repositoryPath($0) + ($0.line.map { ":\($0)" } ?? "") } ?? ""
            let name = xml("\(diagnostic.ruleID) \(place)")
            let file = diagnostic.location.map { " file=\"\(xml(report.repositoryPath($0)))\"" } ?? ""
            if diagnostic.severity == .error {
                failures += 1
                cases.append(
                    "    <testcase classname=\"\(className)\" name=\"\(name)\"\(file)>\n"
                        + "      <failure type=\"\(diagnostic.ruleID)\" message=\"\(xml(diagnostic.message))\">"
                        + "\(xml(fullMessage(diagnostic)))</failure>\n    </testcase>")
            } else {
                cases.append(
                    "    <testcase classname=\"\(className)\" name=\"\(name)\"\(file)>\n"
                        + "      <system-out>warning: \(xml(fullMessage(diagnostic)))</system-out>\n    </testcase>")
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="\(report.tool)" tests="\(cases.count)" failures="\(failures)" errors="0">
              <testsuite name="\(xml(report.subject))" tests="\(cases.count)" failures="\(failures)" errors="0" skipped="0">
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }

    /// Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot hold.
    private static func xml(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n": escaped += "&#10;"
            case "\t", "\r": escaped += "&#\(scalar.value);"
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }
}

extension CheckCode {
    /// One line on what the check looks for, for SARIF rule descriptions.
    public var summary: String {
        switch self {
        case .duplicateVersion: "Two migrations share a version"
        case .reorderedVersion: "A branch adds a version lower than the newest already on its base"
        case .editedMigration: "A branch changes a migration that its base already has"
        case .deletedMigration: "A branch deletes or renames a migration that its base already has"
        case .missingDown: "A migration has no down script"
        case .unparseableName: "A file in the migration directory that no layout explains"
        case .invalidMigration: "A migration file that cannot be read or parsed"
        case .unusableFile: "A file in the migration directory that mig does not run"
        case .staleGuard: "The merge-conflict guard does not match the migrations"
        case .shadowFailed: "Replaying the migrations into a shadow database failed"
        case .orderDrift: "Deploy order and version order give different schemas"
        case .divergedMigration: "A branch and its base each add a migration of the same name with different content"
        case .staleSchema: "The schema file mig schema writes does not match what the migrations produce"
        case .lint: "A migration that locks, rewrites or breaks what a live database serves (mig lint)"
        }
    }

    /// Whether `mig check` (without a shadow replay) runs this check.
    var isBranchCheck: Bool { self != .shadowFailed && self != .orderDrift && self != .lint }
}

/// The subset of SARIF 2.1.0 that mig writes.
private enum SARIF {
    struct Log: Encodable {
        let version = "2.1.0"
        let schema = "https://json.schemastore.org/sarif-2.1.0.json"
        let runs: [Run]

        enum CodingKeys: String, CodingKey {
            case version, runs
            case schema = "$schema"
        }
    }

    struct Run: Encodable {
        let tool: Tool
        let results: [Result]
    }

    struct Tool: Encodable {
        let driver: Driver
    }

    struct Driver: Encodable {
        let name = "mig"
        let version = "0.1.0"
        let rules: [Rule]
    }

    struct Rule: Encodable {
        let id: String
        let name: String
        let shortDescription: Message
        let help: Message?
    }

    struct Message: Encodable {
        let text: String
    }

    struct Result: Encodable {
        let ruleId: String
        let ruleIndex: Int
        let level: String
        let message: Message
        let locations: [Location]
        let relatedLocations: [Location]?
    }

    struct Location: Encodable {
        struct Physical: Encodable {
            let artifactLocation: Artifact
            let region: Region?
        }

        struct Artifact: Encodable {
            let uri: String
            let uriBaseId = "%SRCROOT%"
        }

        struct Region: Encodable {
            let startLine: Int
        }

        let physicalLocation: Physical

        init(_ path: String, line: Int?) {
            physicalLocation = Physical(
                artifactLocation: Artifact(uri: path), region: line.map { Region(startLine: max($0, 1)) })
        }
    }
}
