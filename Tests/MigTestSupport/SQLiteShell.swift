import Foundation

/// The real `sqlite3` shell: the reference mig's SQLite behaviour is compared with, and a reader of
/// the databases mig wrote that shares no code with mig.
public enum SQLiteShell {
    /// Runs `script` as `sqlite3 DATABASE < script` does (statements and dot-commands, each in
    /// autocommit unless the script says otherwise, stopping at the first error) and returns
    /// standard output, trimmed; a failed statement throws, with the shell's message.
    @discardableResult
    public static func run(_ database: URL, _ script: String) throws -> String {
        try ChildProcess.output(Self.program, ["-bail", database.path], input: script)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public static let program = URL(fileURLWithPath: "/usr/bin/sqlite3")

    /// The database's schema and rows as `sqlite3 .dump` prints them, without mig's history table:
    /// what two databases must share to be "the same".
    public static func dump(_ database: URL, historyTable: String = "mig_history") throws -> String {
        try withoutHistory(database, historyTable: historyTable, ".dump")
    }

    /// A SHA3 hash of the database's schema and rows (`.sha3sum --schema`) without mig's history
    /// table: `dump` for databases too large to compare as text.
    public static func fingerprint(_ database: URL, historyTable: String = "mig_history") throws -> String {
        try withoutHistory(database, historyTable: historyTable, ".sha3sum --schema")
    }

    /// Runs `command` on a copy of the database that has the history table and its companions
    /// (the events record, the repeatables table) dropped. The copy is
    /// made by SQLite (`.backup`), so a hot journal left by a killed writer is rolled back first.
    private static func withoutHistory(_ database: URL, historyTable: String, _ command: String) throws -> String {
        let copy = FileManager.default.temporaryDirectory.appending(path: "copy-\(UUID().uuidString).db")
        try run(database, ".backup '\(copy.path)'")
        defer { try? FileManager.default.removeItem(at: copy) }
        let drops = ["", "_events", "_repeatables"].map { "DROP TABLE IF EXISTS \"\(historyTable)\($0)\";\n" }
        return try run(copy, drops.joined() + command + "\n")
    }
}
