import Foundation

/// A migration tool whose history table mig can read, to adopt a database that tool migrated.
///
/// Each case knows the table the tool writes by default and the columns that identify it; how the
/// rows are read lives in `ForeignHistoryReader`.
public enum ForeignTool: String, Sendable, CaseIterable, Codable {
    case goose
    case golangMigrate = "golang-migrate"
    case dbmate
    case diesel
    case flyway
    case prisma
    case sqlx

    /// The history table the tool creates unless configured otherwise.
    public var defaultTable: String {
        switch self {
        case .goose: "goose_db_version"
        case .golangMigrate, .dbmate: "schema_migrations"
        case .diesel: "__diesel_schema_migrations"
        case .flyway: "flyway_schema_history"
        case .prisma: "_prisma_migrations"
        case .sqlx: "_sqlx_migrations"
        }
    }

    /// The columns mig reads, which a table must have to be this tool's.
    var requiredColumns: Set<String> {
        switch self {
        case .goose: ["version_id", "is_applied", "tstamp"]
        case .golangMigrate: ["version", "dirty"]
        case .dbmate: ["version"]
        case .diesel: ["version", "run_on"]
        case .flyway:
            [
                "installed_rank", "version", "description", "type", "installed_by", "installed_on", "execution_time",
                "success",
            ]
        case .prisma: ["migration_name", "started_at", "finished_at", "rolled_back_at"]
        case .sqlx: ["version", "description", "installed_on", "success", "execution_time"]
        }
    }

    /// Whether a table with these columns is laid out as this tool writes its history. golang-migrate
    /// and dbmate share the name `schema_migrations`: golang-migrate's has a `dirty` column.
    func recognises(columns: [String]) -> Bool {
        let names = Set(columns.map { $0.lowercased() })
        guard requiredColumns.isSubset(of: names) else { return false }
        return self == .dbmate ? !names.contains("dirty") : true
    }
}
