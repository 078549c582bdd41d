import Foundation

/// Why `mig init` chose a dialect: the file (and line) that showed it, and what it showed.
public struct DialectEvidence: Sendable, Codable, Equatable {
    public let dialect: Dialect
    /// `path` or `path:line`, relative to the project root.
    public let location: String
    public let reason: String

    public init(dialect: Dialect, location: String, reason: String) {
        self.dialect = dialect
        self.location = location
        self.reason = reason
    }
}

/// SQL that only PostgreSQL accepts (SQLite rejects it, or reads it differently): the sign
/// that a folder's migrations were written for PostgreSQL.
public struct PostgresOnlySyntax {
    private let rules: [(label: String, pattern: Regex<AnyRegexOutput>)]

    public init() {
        let patterns = [
            ("SERIAL", #"\b(BIG|SMALL)?SERIAL\b"#),
            ("JSONB", #"\bJSONB\b"#),
            ("TIMESTAMPTZ", #"\bTIMESTAMPTZ\b|\bTIMESTAMP\s+WITH\s+TIME\s+ZONE\b"#),
            ("$$ quoting", #"\$\$"#),
            (":: casts", #"::\s*[A-Za-z_]"#),
            ("CREATE EXTENSION", #"\bCREATE\s+EXTENSION\b"#),
            ("USING btree/gin/gist indexes", #"\bUSING\s+(BTREE|GIN|GIST|HASH|BRIN|SPGIST)\b"#),
            ("CREATE TYPE", #"\bCREATE\s+TYPE\b"#),
            ("LANGUAGE plpgsql", #"\bLANGUAGE\s+'?PLPGSQL\b"#),
            ("ALTER COLUMN … TYPE", #"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b"#),
            ("CONCURRENTLY", #"\bCONCURRENTLY\b"#),
            ("identity columns", #"\bGENERATED\s+(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY\b"#),
            ("CREATE SCHEMA", #"\bCREATE\s+SCHEMA\b"#),
            ("COMMENT ON", #"\bCOMMENT\s+ON\b"#),
            ("BYTEA", #"\bBYTEA\b"#),
            ("array types", #"\b(TEXT|INT|INTEGER|BIGINT|VARCHAR|UUID)\s*\[\]"#),
            ("gen_random_uuid()", #"\b(GEN_RANDOM_UUID|UUID_GENERATE_V4)\s*\("#),
        ]
        rules = patterns.map { label, pattern in
            // The patterns are literals above: a failure here is a programming error.
            (label, try! Regex(pattern).ignoresCase())
        }
    }

    /// The first line (1-based) of `sql` that uses PostgreSQL-only syntax, and which; `--`
    /// comments do not count.
    public func firstUse(in sql: String) -> (line: Int, feature: String)? {
        for (index, line) in sql.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
            for rule in rules where code.contains(rule.pattern) { return (index + 1, rule.label) }
        }
        return nil
    }
}

/// Finds the dialect of a project's databases: first from its migration tool's own
/// configuration (dbmate's and sqlx's `DATABASE_URL` and goose's `GOOSE_DRIVER` in `.env`,
/// Prisma's `migration_lock.toml`, Flyway's `flyway.url`, the diesel or sqlx features in
/// `Cargo.toml`), then from PostgreSQL-only syntax in the migrations' SQL.
///
/// Values read from configuration are never repeated in the evidence: a URL may hold a password.
public struct DialectDetector {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The evidence for the migration folder `folder` (relative to the root), whose `.sql`
    /// files — every one, whether or not its name parses — `source` reads.
    public func detect(folder: String, source: some MigrationSource) -> DialectEvidence? {
        configurationEvidence(folder: folder) ?? sqlEvidence(source)
    }

    private func sqlEvidence(_ source: some MigrationSource) -> DialectEvidence? {
        let syntax = PostgresOnlySyntax()
        for path in (try? source.filePaths()) ?? [] where path.lowercased().hasSuffix(".sql") {
            guard let bytes = try? source.contents(of: path),
                let use = syntax.firstUse(in: String(decoding: bytes, as: UTF8.self))
            else { continue }
            return DialectEvidence(
                dialect: .postgres, location: "\(source.displayPath(of: path)):\(use.line)",
                reason: "uses \(use.feature), which only PostgreSQL has")
        }
        return nil
    }

    private func configurationEvidence(folder: String) -> DialectEvidence? {
        let lockFiles = [folder, (folder as NSString).deletingLastPathComponent].filter { !$0.isEmpty }
            .map { $0 == "." ? "migration_lock.toml" : $0 + "/migration_lock.toml" }
        for path in lockFiles {
            if let evidence = scan(path, keys: ["provider"], what: "Prisma's provider") { return evidence }
        }
        return scan(".env", keys: ["DATABASE_URL"], what: "DATABASE_URL")
            ?? scan(".env", keys: ["GOOSE_DRIVER"], what: "GOOSE_DRIVER")
            ?? scan("flyway.conf", keys: ["flyway.url"], what: "flyway.url")
            ?? scan("conf/flyway.conf", keys: ["flyway.url"], what: "flyway.url")
            ?? scan("flyway.toml", keys: ["url"], what: "Flyway's url")
            ?? cargoFeatures()
    }

    /// The first `key = value` (or `key=value`, `export key=value`) line of the file whose value names a dialect.
    private func scan(_ path: String, keys: Set<String>, what: String) -> DialectEvidence? {
        guard let text = try? String(contentsOf: root.appending(path: path), encoding: .utf8) else { return nil }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var entry = line.trimmingCharacters(in: .whitespaces)
            if entry.hasPrefix("export ") { entry = String(entry.dropFirst(7)) }
            guard let equals = entry.firstIndex(of: "="),
                keys.contains(entry[..<equals].trimmingCharacters(in: .whitespaces))
            else { continue }
            let value = entry[entry.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
            guard let dialect = Self.dialect(named: value) else { continue }
            return DialectEvidence(
                dialect: dialect, location: "\(path):\(index + 1)", reason: "\(what) names a \(Self.title(dialect)) database")
        }
        return nil
    }

    /// diesel's or sqlx's database feature on their dependency line in `Cargo.toml`.
    private func cargoFeatures() -> DialectEvidence? {
        guard let text = try? String(contentsOf: root.appending(path: "Cargo.toml"), encoding: .utf8) else { return nil }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let entry = line.trimmingCharacters(in: .whitespaces)
            guard entry.hasPrefix("diesel") || entry.hasPrefix("sqlx"), entry.contains("features") else { continue }
            for (feature, dialect) in [("\"postgres\"", Dialect.postgres), ("\"sqlite\"", .sqlite)] where entry.contains(feature) {
                return DialectEvidence(
                    dialect: dialect, location: "Cargo.toml:\(index + 1)",
                    reason: "the \(entry.prefix { $0.isLetter }) dependency has the \(feature) feature")
            }
        }
        return nil
    }

    /// The dialect a URL, driver or provider name stands for; `nil` for one mig does not run.
    static func dialect(named value: String) -> Dialect? {
        let value = value.lowercased()
        if ["postgres", "postgresql", "pgx"].contains(value) { return .postgres }
        if ["sqlite", "sqlite3"].contains(value) { return .sqlite }
        for prefix in ["postgres://", "postgresql://", "jdbc:postgresql:"] where value.hasPrefix(prefix) { return .postgres }
        for prefix in ["sqlite:", "sqlite3:", "jdbc:sqlite:"] where value.hasPrefix(prefix) { return .sqlite }
        return nil
    }

    static func title(_ dialect: Dialect) -> String { dialect == .postgres ? "PostgreSQL" : "SQLite" }
}
