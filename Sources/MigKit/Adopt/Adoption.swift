import Foundation

/// Which tool's history table to adopt: named by the user, or found in the database.
public struct ForeignTableChoice: Sendable, Equatable {
    public var tool: ForeignTool?
    /// The table's name when the tool was configured with another one; needs `tool`.
    public var table: String?

    public init(tool: ForeignTool? = nil, table: String? = nil) {
        self.tool = tool
        self.table = table
    }
}

extension MigrationRunner {
    /// Reads another tool's history table and, unless `dryRun`, writes mig's history from it in one
    /// transaction, holding the migration lock. Refuses when mig's history already has rows. The
    /// other tool's table is only read.
    public func adopt(_ choice: ForeignTableChoice, dryRun: Bool) throws -> AdoptionPlan {
        guard let reader = driver as? any TableReading else { throw AdoptError.cannotReadTables }
        if !dryRun { try driver.acquireMigrationLock() }
        defer { if !dryRun { try? driver.releaseMigrationLock() } }
        let existing = try driver.appliedMigrations()
        guard existing.isEmpty else { throw AdoptError.historyNotEmpty(count: existing.count) }
        let (tool, table) = try Self.locate(choice, in: reader)
        let history = try ForeignHistoryReader(reader: reader, tool: tool, table: table).read()
        let plan = AdoptionPlan(history: history, catalog: catalog, context: context)
        if !dryRun {
            let source = "from \(tool.rawValue) (\(table))"
            try HistoryWriter(driver: driver).write(plan.records) { record in
                HistoryEvent(
                    .adopted, of: record, context: context,
                    detail: record.state == .dirty ? source + ", recorded dirty: it failed there" : source)
            }
        }
        return plan
    }

    /// The tool and table to read: the named one (checked to be laid out as that tool writes it),
    /// or the one tool's table found among the defaults.
    static func locate(_ choice: ForeignTableChoice, in reader: any TableReading) throws -> (ForeignTool, String) {
        if let tool = choice.tool {
            let table = choice.table ?? tool.defaultTable
            let columns = try reader.columnNames(ofTable: table)
            guard !columns.isEmpty else { throw AdoptError.tableMissing(tool: tool, table: table) }
            guard tool.recognises(columns: columns) else {
                throw AdoptError.notThatTool(tool: tool, table: table, columns: columns)
            }
            return (tool, table)
        }
        var found: [(ForeignTool, String)] = []
        var columnsByTable: [String: [String]] = [:]
        for tool in ForeignTool.allCases {
            let table = tool.defaultTable
            if columnsByTable[table] == nil { columnsByTable[table] = try reader.columnNames(ofTable: table) }
            if tool.recognises(columns: columnsByTable[table] ?? []) { found.append((tool, table)) }
        }
        guard found.count == 1 else {
            if found.isEmpty {
                throw AdoptError.noForeignTable(
                    searched: ForeignTool.allCases.map { "\($0.defaultTable) (\($0.rawValue))" })
            }
            throw AdoptError.severalForeignTables(found.map { "\($0.1) (\($0.0.rawValue))" })
        }
        return found[0]
    }
}

/// Writes history rows that record migrations without running them (adopt, baseline, repair), each
/// with its line in the events record: all of them or none, in one transaction. New rows take their
/// applied order from the records' `appliedOrder` (another tool's own order, when adopting), else
/// from `applied_at`, then version (`AppliedMigration.inAppliedOrder`).
struct HistoryWriter {
    let driver: any DatabaseDriver

    func write(_ records: [AppliedMigration], event: (AppliedMigration) -> HistoryEvent) throws {
        guard !records.isEmpty else { return }
        try driver.ensureHistoryTable()
        try driver.beginTransaction()
        do {
            for record in AppliedMigration.inAppliedOrder(records) {
                try driver.recordApplied(record)
                try driver.recordEvent(event(record))
            }
            try driver.commitTransaction()
        } catch {
            try? driver.rollbackTransaction()
            throw error
        }
    }
}
