import Foundation

/// Why `mig adopt` or `mig baseline` refused; each says what to do instead.
public enum AdoptError: Error, Sendable, Equatable, CustomStringConvertible {
    case cannotReadTables
    case noForeignTable(searched: [String])
    case severalForeignTables([String])
    case tableMissing(tool: ForeignTool, table: String)
    case notThatTool(tool: ForeignTool, table: String, columns: [String])
    case unexpectedRows(table: String, count: Int)
    case historyNotEmpty(count: Int)
    case nothingToBaseline(Version)
    case recordedDifferently([String])
    /// Baseline would record `baselined` after the applied `applied`, which have higher versions, so
    /// `down` would revert a migration that never ran before them.
    case baselineBelowApplied(baselined: [Version], applied: [Version])

    public var description: String {
        switch self {
        case .cannotReadTables:
            "this database cannot be read for another tool's history table"
        case .noForeignTable(let searched):
            "no history table of another tool found (looked for \(searched.joined(separator: ", "))): "
                + "name the tool with --from and, if its table has another name, --table; "
                + "for a database built another way, use `mig baseline VERSION`"
        case .severalForeignTables(let found):
            "several tools' history tables are here (\(found.joined(separator: ", "))): say which one to adopt with --from TOOL"
        case .tableMissing(let tool, let table):
            "there is no table \(table) for \(tool.rawValue) here: if the tool was configured with another table name, give it with --table"
        case .notThatTool(let tool, let table, let columns):
            "\(table) is not laid out as \(tool.rawValue) writes it (columns: \(columns.joined(separator: ", ")); "
                + "expected \(tool.requiredColumns.sorted().joined(separator: ", ")))"
                + (tool == .dbmate && columns.contains("dirty")
                    ? ": it has golang-migrate's dirty column, try --from golang-migrate" : "")
        case .unexpectedRows(let table, let count):
            "\(table) holds \(count) rows, but golang-migrate keeps exactly one (the last version): "
                + "repair it with `migrate force VERSION` first"
        case .historyNotEmpty(let count):
            "mig's history table already has \(count) row(s): adopting only fills an empty history. "
                + "See `mig status`; mark further migrations applied with `mig baseline VERSION`"
        case .nothingToBaseline(let version):
            "no migration in the migration directory has a version at or below \(version): nothing to mark applied"
        case .recordedDifferently(let problems):
            "some migrations at or below the baseline are already recorded differently, so nothing was marked: "
                + problems.joined(separator: "; ")
        case .baselineBelowApplied(let baselined, let applied):
            "baseline would record \(baselined.map(\.text).joined(separator: ", ")) as applied after "
                + "\(applied.map(\.text).joined(separator: ", ")), already applied with a higher version, so `mig down` "
                + "would revert a migration that never ran before them; nothing was marked. Revert those first "
                + "(`mig down`), or apply the migrations below them with `mig up --allow-out-of-order`"

        }
    }
}
