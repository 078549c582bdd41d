import Foundation

/// Reads another tool's history table the way that tool reads it, into a `ForeignHistory`.
///
/// Each tool's rules come from its own source (see docs/adopt.md for the references): goose keeps a
/// row per up (older goose also a row per down, `is_applied = false`) and the latest row of a version
/// decides, version 0 being its bootstrap row; golang-migrate keeps one row, the last version, with a
/// `dirty` flag; dbmate and diesel one row per applied version; Flyway one row per attempt, in
/// `installed_rank` order, failed ones with `success = false`, repeatables with no version; Prisma one
/// row per attempt, unfinished ones failed and rolled-back ones not applied; sqlx one row per version.
struct ForeignHistoryReader {
    let reader: any TableReading
    let tool: ForeignTool
    let table: String

    private var name: String { quotedTableName(table) }

    func read() throws -> ForeignHistory {
        switch tool {
        case .goose: try goose()
        case .golangMigrate: try golangMigrate()
        case .dbmate:
            ForeignHistory(
                tool: tool, table: table, entries: try versions("SELECT version FROM \(name) ORDER BY version"))
        case .diesel:
            ForeignHistory(
                tool: tool, table: table, entries: try versions("SELECT version, run_on FROM \(name) ORDER BY version"))
        case .flyway: try flyway()
        case .prisma: try prisma()
        case .sqlx: try sqlx()
        }
    }

    /// One applied entry per row: the version and, when selected, the time.
    private func versions(_ sql: String) throws -> [ForeignHistory.Entry] {
        try reader.rows(sql).map { row in
            ForeignHistory.Entry(
                version: row[0] ?? "", appliedAt: row.count > 1 ? row[1].flatMap(ForeignTimestamp.parse) : nil)
        }
    }

    private func goose() throws -> ForeignHistory {
        var latest: [String: (applied: Bool, at: Date?)] = [:]
        var order: [String] = []
        for row in try reader.rows("SELECT version_id, is_applied, tstamp FROM \(name) ORDER BY id") {
            let version = row[0] ?? ""
            // A version applied again after a revert stands where it was applied last.
            order.removeAll { $0 == version }
            order.append(version)
            latest[version] = (applied: Self.isTrue(row[1]), at: row[2].flatMap(ForeignTimestamp.parse))
        }
        let entries = order.compactMap { version -> ForeignHistory.Entry? in
            guard let row = latest[version], row.applied, Version(version) != Version("0") else { return nil }
            return ForeignHistory.Entry(version: version, appliedAt: row.at)
        }
        return ForeignHistory(tool: tool, table: table, entries: ForeignHistory.Entry.ranked(entries))
    }

    private func golangMigrate() throws -> ForeignHistory {
        let rows = try reader.rows("SELECT version, dirty FROM \(name)")
        guard rows.count <= 1 else { throw AdoptError.unexpectedRows(table: table, count: rows.count) }
        guard let row = rows.first, let version = row[0] else {
            return ForeignHistory(tool: tool, table: table, entries: [])
        }
        let dirty = Self.isTrue(row[1])
        if version.hasPrefix("-") {
            // golang-migrate writes version -1 with dirty = true when the down of its first migration failed.
            return ForeignHistory(
                tool: tool, table: table, entries: [],
                notes: dirty
                    ? [
                        "\(table) says the revert of the first migration failed part-way (version -1, dirty): nothing is "
                            + "adopted as applied; check the database by hand"
                    ] : [])
        }
        let entry = ForeignHistory.Entry(version: version, state: dirty ? .failed : .applied)
        return ForeignHistory(tool: tool, table: table, entries: [entry], coversUpTo: version)
    }

    private func flyway() throws -> ForeignHistory {
        var latest: [String: ForeignHistory.Entry] = [:]
        var removed: Set<String> = []
        var order: [String] = []
        var baseline: String?
        var notes: [String] = []
        let rows = try reader.rows(
            """
            SELECT version, description, type, script, installed_by, installed_on, execution_time, success
            FROM \(name) ORDER BY installed_rank
            """)
        for row in rows {
            let type = (row[2] ?? "").uppercased()
            guard let version = row[0] else {
                notes.append(
                    "\(table) records the repeatable \(row[3] ?? row[1] ?? "?") (\(type)): repeatables are not adopted; "
                        + "mig does not record them in its history")
                continue
            }
            switch type {
            case "SCHEMA":
                continue  // Flyway's "<< Flyway Schema Creation >>" marker, not a migration
            case "BASELINE":
                if Self.isTrue(row[7]) { baseline = version }
            case "DELETE":
                removed.insert(version)  // `flyway repair` marked this version's rows deleted
                latest[version] = nil
            case _ where type.hasPrefix("UNDO"):
                if Self.isTrue(row[7]) {
                    removed.insert(version)
                    latest[version] = nil
                }
            default:
                if !order.contains(version) { order.append(version) }
                removed.remove(version)
                let entry = ForeignHistory.Entry(
                    version: version, name: row[1], appliedAt: row[5].flatMap(ForeignTimestamp.parse),
                    executionMilliseconds: row[6].flatMap { Int($0) }, appliedBy: row[4],
                    state: Self.isTrue(row[7]) ? .applied : .failed)
                // A later failed attempt does not undo an earlier success.
                if latest[version]?.state != .applied || entry.state == .applied { latest[version] = entry }
            }
        }
        let entries = order.filter { !removed.contains($0) }.compactMap { latest[$0] }
        return ForeignHistory(tool: tool, table: table, entries: ForeignHistory.Entry.ranked(entries), coversUpTo: baseline, notes: notes)
    }

    private func prisma() throws -> ForeignHistory {
        var states: [String: ForeignHistory.Entry] = [:]
        var order: [String] = []
        let rows = try reader.rows(
            "SELECT migration_name, finished_at, rolled_back_at FROM \(name) ORDER BY started_at")
        for row in rows {
            let migrationName = row[0] ?? ""
            guard row[2] == nil else { continue }  // rolled back: not applied
            let (version, name) = Self.splitPrismaName(migrationName)
            let entry = ForeignHistory.Entry(
                version: version, name: name, appliedAt: row[1].flatMap(ForeignTimestamp.parse),
                state: row[1] == nil ? .failed : .applied)
            if states[version] == nil { order.append(version) }
            if states[version]?.state != .applied { states[version] = entry }
        }
        return ForeignHistory(tool: tool, table: table, entries: ForeignHistory.Entry.ranked(order.compactMap { states[$0] }))
    }

    private func sqlx() throws -> ForeignHistory {
        let rows = try reader.rows(
            "SELECT version, description, installed_on, success, execution_time FROM \(name) ORDER BY version")
        let entries = rows.map { row in
            ForeignHistory.Entry(
                version: row[0] ?? "", name: row[1], appliedAt: row[2].flatMap(ForeignTimestamp.parse),
                // sqlx measures execution_time in nanoseconds; -1 until it has measured it.
                executionMilliseconds: row[4].flatMap { Int64($0) }.flatMap { $0 >= 0 ? Int($0 / 1_000_000) : nil },
                state: Self.isTrue(row[3]) ? .applied : .failed)
        }
        return ForeignHistory(tool: tool, table: table, entries: entries)
    }

    /// `20240115120000_init` → (`20240115120000`, `init`).
    static func splitPrismaName(_ text: String) -> (String, String?) {
        guard let separator = text.firstIndex(of: "_") else { return (text, nil) }
        return (String(text[..<separator]), String(text[text.index(after: separator)...]))
    }

    /// A boolean cell as SQLite stores it (`1`) or PostgreSQL prints it (`t`).
    static func isTrue(_ cell: String?) -> Bool {
        ["1", "t", "true"].contains(cell?.lowercased() ?? "")
    }
}

/// The timestamps other tools store, read as text: `2024-01-15 10:00:00`, with optional fractions
/// of a second, a `T`, and a `Z` or `+HH[:MM]` offset. Without an offset the time is taken as UTC
/// (goose, diesel and Flyway store `timestamp` without a time zone; SQLite's `datetime('now')` is UTC).
enum ForeignTimestamp {
    static func parse(_ text: String) -> Date? {
        // Prisma on SQLite stores DATETIME as milliseconds since 1970.
        if text.count == 13, text.allSatisfy(\.isASCIIDigit), let milliseconds = Double(text) {
            return Date(timeIntervalSince1970: milliseconds / 1000)
        }
        let characters = Array(text.trimmingCharacters(in: .whitespaces))
        guard characters.count >= 19, characters[10] == " " || characters[10] == "T" else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(characters[range])) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < characters.count, characters[index] == "." {
            var digits = "0."
            index += 1
            while index < characters.count, characters[index].isASCIIDigit {
                digits.append(characters[index])
                index += 1
            }
            fraction = Double(digits) ?? 0
        }
        var offsetSeconds = 0
        if index < characters.count {
            let sign = characters[index]
            let digits = String(characters[(index + 1)...]).replacingOccurrences(of: ":", with: "")
            switch sign {
            case "Z", "z":
                guard digits.isEmpty else { return nil }
            case "+", "-":
                guard digits.count == 2 || digits.count == 4, digits.allSatisfy(\.isASCIIDigit),
                    let hours = Int(digits.prefix(2)),
                    let minutes = Int(digits.dropFirst(2).isEmpty ? "0" : digits.dropFirst(2))
                else { return nil }
                offsetSeconds = (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
            default:
                return nil
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components) else { return nil }
        return date.addingTimeInterval(fraction - Double(offsetSeconds))
    }
}
