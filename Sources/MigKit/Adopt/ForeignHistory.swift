import Foundation

/// Another tool's history table as that tool reads it: which versions it counts as applied, and
/// which as failed half-way.
///
/// This is the meaning of the table, not its rows: goose's latest row per version, golang-migrate's
/// single row standing for every version at or below it, Flyway's failed attempts, Prisma's
/// rolled-back ones have all been interpreted by `ForeignHistoryReader`.
public struct ForeignHistory: Sendable {
    /// One migration the other tool counts as applied (or failed part-way).
    public struct Entry: Sendable, Hashable {
        public enum State: String, Sendable, Codable {
            case applied
            /// golang-migrate `dirty`, Flyway `success = false`, Prisma `finished_at` NULL, sqlx `success = false`.
            case failed
        }

        /// The version exactly as the tool stored it.
        public let version: String
        /// The name or description the tool stored, when it stores one.
        public let name: String?
        public let appliedAt: Date?
        public let executionMilliseconds: Int?
        /// Who the tool says applied it (Flyway's `installed_by`).
        public let appliedBy: String?
        public let state: State
        /// Where it stands in the order the tool applied its migrations, by the tool's own record of it
        /// (Flyway's `installed_rank`, goose's `id`, Prisma's `started_at`); `nil` where the tool keeps
        /// none, and then its applied time, then version, orders it.
        public let rank: Int?

        public init(
            version: String, name: String? = nil, appliedAt: Date? = nil, executionMilliseconds: Int? = nil,
            appliedBy: String? = nil, state: State = .applied, rank: Int? = nil
        ) {
            self.version = version
            self.name = name
            self.appliedAt = appliedAt
            self.executionMilliseconds = executionMilliseconds
            self.appliedBy = appliedBy
            self.state = state
            self.rank = rank
        }

        /// `entries`, which are in the tool's own applied order, each with its place in it as `rank`.
        static func ranked(_ entries: [Entry]) -> [Entry] {
            entries.enumerated().map { index, entry in
                Entry(
                    version: entry.version, name: entry.name, appliedAt: entry.appliedAt,
                    executionMilliseconds: entry.executionMilliseconds, appliedBy: entry.appliedBy,
                    state: entry.state, rank: index + 1)
            }
        }
    }

    public let tool: ForeignTool
    public let table: String
    /// The migrations the table names as applied or failed, one per version, in the table's order.
    public let entries: [Entry]
    /// Every migration at or below this version counts as applied too: golang-migrate's single row,
    /// Flyway's baseline.
    public let coversUpTo: String?
    /// What the table holds that mig does not adopt, said in full (Flyway repeatables, a golang-migrate
    /// failed revert of the first migration).
    public let notes: [String]

    public init(tool: ForeignTool, table: String, entries: [Entry], coversUpTo: String? = nil, notes: [String] = []) {
        self.tool = tool
        self.table = table
        self.entries = entries
        self.coversUpTo = coversUpTo
        self.notes = notes
    }
}
