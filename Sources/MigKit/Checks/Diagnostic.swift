/// The stable code of a finding; tools and CI configurations match on it, so it never changes.
public enum CheckCode: String, Sendable, CaseIterable, Codable {
    case duplicateVersion = "duplicate-version"
    case reorderedVersion = "reordered-version"
    case editedMigration = "edited-migration"
    case deletedMigration = "deleted-migration"
    case missingDown = "missing-down"
    case unparseableName = "unparseable-name"
    case invalidMigration = "invalid-migration"
    /// A file mig reads past without running it: a goose Go migration, a Flyway callback, a
    /// link to a folder, a file that is not a migration.
    case unusableFile = "unusable-file"
    case staleGuard = "stale-guard"
    case shadowFailed = "shadow-failed"
    case orderDrift = "order-drift"
    case divergedMigration = "diverged-migration"
    /// The schema file `mig schema` writes no longer matches what the migrations produce.
    case staleSchema = "stale-schema"
    /// A finding of `mig lint`; `Diagnostic.rule` says which rule.
    case lint = "lint"
}

/// How much a finding matters: errors fail `mig check` (exit 1), warnings do not.
public enum Severity: String, Sendable, Codable, Comparable {
    case warning
    case error

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
}

/// A place in a file that a finding points at. `path` is relative to the project root.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public let path: String
    public let line: Int?

    public init(path: String, line: Int? = nil) {
        self.path = path
        self.line = line
    }

    /// `path:line`, the form editors and terminals turn into links.
    public var description: String { line.map { "\(path):\($0)" } ?? path }
}

/// One finding of mig: what is wrong, where, and what to do about it.
///
/// Every check (catalog, Git comparison, shadow replay) produces these; the renderers turn
/// them into text, JSON, GitHub annotations, SARIF or JUnit.
public struct Diagnostic: Sendable, Hashable, Codable {
    public let code: CheckCode
    /// The lint rule of a `lint` finding.
    public let rule: LintRule?
    public let severity: Severity
    /// The main place the finding is about, if it has one.
    public let location: SourceLocation?
    /// Other places involved (the other file of a duplicate, for example).
    public let related: [SourceLocation]
    public let message: String
    /// What to do about it, in one sentence.
    public let hint: String?

    public init(
        code: CheckCode,
        rule: LintRule? = nil,
        severity: Severity = .error,
        location: SourceLocation?,
        related: [SourceLocation] = [],
        message: String,
        hint: String? = nil
    ) {
        self.code = code
        self.rule = rule
        self.severity = severity
        self.location = location
        self.related = related
        self.message = message
        self.hint = hint
    }
}

extension Diagnostic {
    /// What tools match on: the lint rule's id for a lint finding, else the check code.
    public var ruleID: String { rule?.rawValue ?? code.rawValue }
}

extension Sequence where Element == Diagnostic {
    /// Whether any finding is at error level.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
