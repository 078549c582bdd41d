/// Whether a step runs a migration's up or its down script.
public enum Direction: String, Sendable, Codable {
    case up, down
}

/// A migration script that failed, where, what the database said, and what that left behind.
public struct MigrationFailure: Error, Sendable, CustomStringConvertible {
    /// What the failure left in the database, said exactly.
    public enum Consequence: Sendable, Equatable {
        /// It failed in a shadow rehearsal, before the real database was touched.
        case shadow
        /// Nothing of the script ran (it was refused before running).
        case notRun
        /// Its transaction was rolled back.
        case rolledBack
        /// It ran outside mig's transaction and part of it stays: the explanation says which part.
        case partlyApplied(String)
        /// Its lock was not granted within `lock_timeout` on any of `attempts` tries, each rolled back;
        /// the `earlier` migrations the run applied before it stay applied.
        case lockNotGranted(attempts: Int, earlier: Int)
        /// It ran inside the plan's single transaction (`--single-transaction`), which was rolled back whole.
        case planRolledBack
    }

    public let migration: String
    public let direction: Direction
    /// The file (relative to the project root) and line of the failing statement.
    public let location: SourceLocation?
    /// The database's own message.
    public let message: String
    public let consequence: Consequence
    /// The database's code for the error (PostgreSQL's SQLSTATE), when it gave one.
    public let databaseCode: String?

    public init(
        migration: String, direction: Direction, location: SourceLocation?, message: String, consequence: Consequence,
        databaseCode: String? = nil
    ) {
        self.migration = migration
        self.direction = direction
        self.location = location
        self.message = message
        self.consequence = consequence
        self.databaseCode = databaseCode
    }

    /// The same failure with another consequence.
    func with(_ consequence: Consequence) -> MigrationFailure {
        MigrationFailure(
            migration: migration, direction: direction, location: location, message: message,
            consequence: consequence, databaseCode: databaseCode)
    }

    /// PostgreSQL's `lock_not_available`: a lock was not granted within `lock_timeout`.
    public var isLockNotGranted: Bool { databaseCode == "55P03" }

    /// Whether it failed in a shadow rehearsal, before the real database was touched.
    public var inShadow: Bool { consequence == .shadow }

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let outcome =
            switch consequence {
            case .shadow:
                " (in the shadow rehearsal: the database was not changed; fix the migration, or pass --no-shadow to skip the rehearsal)"
            case .notRun: " (nothing was run: the database was not changed)"
            case .rolledBack: " (the database is as it was before this migration)"
            case .partlyApplied(let explanation): " (\(explanation))"
            case .lockNotGranted(let attempts, let earlier):
                " (its lock was not granted within [database] lock_timeout on any of \(attempts) attempt(s) "
                    + "([database] lock_retries), each rolled back: nothing of this migration was applied"
                    + (earlier > 0 ? "; the \(earlier) migration(s) this run applied before it stay applied" : "")
                    + "; run mig up again when the database is quieter)"
            case .planRolledBack:
                " (--single-transaction: the whole plan was rolled back; none of its migrations was applied)"
            }
        return "\(place)migration \(migration) (\(direction.rawValue)) failed: \(message)\(outcome)"
    }

    /// A shadow-failed finding for the same failure.
    public var diagnostic: Diagnostic {
        Diagnostic(
            code: .shadowFailed, location: location,
            message: "migration \(migration) (\(direction.rawValue)) failed in the shadow: \(message)",
            hint: "fix the statement at this line; the shadow is a throw-away database, nothing real was changed")
    }
}
