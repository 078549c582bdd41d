/// Whether a step runs a migration's up or its down script.
public enum Direction: String, Sendable, Codable {
    case up, down
}

/// A migration script that failed, where, and what the database said.
public struct MigrationFailure: Error, Sendable, CustomStringConvertible {
    public let migration: String
    public let direction: Direction
    /// The file (relative to the project root) and line of the failing statement.
    public let location: SourceLocation?
    /// The database's own message.
    public let message: String
    /// Whether it failed in a shadow rehearsal, before the real database was touched.
    public let inShadow: Bool

    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        let consequence =
            inShadow
            ? " (in the shadow rehearsal: the database was not changed; fix the migration, or pass --no-shadow to skip the rehearsal)"
            : " (the database is as it was before this migration)"
        return "\(place)migration \(migration) (\(direction.rawValue)) failed: \(message)\(consequence)"
    }

    /// A shadow-failed finding for the same failure.
    public var diagnostic: Diagnostic {
        Diagnostic(
            code: .shadowFailed, location: location,
            message: "migration \(migration) (\(direction.rawValue)) failed in the shadow: \(message)",
            hint: "fix the statement at this line; the shadow is a throw-away database, nothing real was changed")
    }
}
