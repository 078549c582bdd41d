import Foundation

/// One row of the repeatables table (`<history_table>_repeatables`): the last time a Flyway
/// repeatable migration (`R__name.sql`) ran, and the checksum of the text that ran.
///
/// Repeatables have no version, so they are kept out of the history table, whose key is the
/// version: one row per name, replaced each time the repeatable runs again.
public struct AppliedRepeatable: Sendable, Hashable, Codable {
    public let name: String
    public let checksum: String
    public let appliedAt: Date
    public let executionMilliseconds: Int
    public let appliedBy: String
    public let gitCommit: String?

    public init(
        name: String, checksum: String, appliedAt: Date, executionMilliseconds: Int, appliedBy: String,
        gitCommit: String?
    ) {
        self.name = name
        self.checksum = checksum
        self.appliedAt = appliedAt
        self.executionMilliseconds = executionMilliseconds
        self.appliedBy = appliedBy
        self.gitCommit = gitCommit
    }

    /// The repeatables table's name beside the history table `historyTable`.
    public static func tableName(besides historyTable: String) -> String { historyTable + "_repeatables" }
}

/// Where one repeatable migration stands: never run, run with the current text, or run with an
/// older text (Flyway's "outdated") — `mig up` runs the first and the last.
public struct RepeatableStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case applied
        case pending
        case outdated
    }

    public let repeatable: RepeatableMigration
    public let state: State
    public let applied: AppliedRepeatable?

    /// Whether `mig up` runs it.
    public var isDue: Bool { state != .applied }
}
