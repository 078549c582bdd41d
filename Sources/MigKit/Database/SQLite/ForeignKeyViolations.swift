/// `PRAGMA foreign_key_check` before the commit of a script that ran with foreign keys off, as
/// SQLite's table-rebuild recipe asks: rows left pointing at nothing fail the script (whose
/// transaction then rolls back) with the first few named.
enum ForeignKeyViolations {
    /// How many violations the message lists.
    static let listed = 5

    static func check(_ connection: SQLiteConnection) throws(DatabaseError) {
        let statement = try connection.prepare("PRAGMA foreign_key_check")
        var lines: [String] = []
        var count = 0
        while try statement.step() {
            count += 1
            guard lines.count < listed else { continue }
            let row = statement.text(1).map { " row \($0)" } ?? ""
            lines.append("\(statement.text(0) ?? "?")\(row) references a missing row of \(statement.text(2) ?? "?")")
        }
        guard count > 0 else { return }
        let more = count > lines.count ? "; and \(count - lines.count) more" : ""
        throw DatabaseError(
            message: "the script set foreign_keys, so it ran with foreign keys off, and left \(count) foreign key "
                + "violation(s): \(lines.joined(separator: "; "))\(more): make the script keep every reference valid (PRAGMA foreign_key_check lists them)"
        )
    }
}
