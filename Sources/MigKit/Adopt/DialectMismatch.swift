/// Spots the likely cause of a SQLite syntax error in a shadow replay: migrations written for
/// PostgreSQL in a project configured (often by default) for SQLite.
public enum DialectMismatch {
    /// A note naming the configured dialect, the PostgreSQL-only syntax in the failing script and
    /// how to change the dialect; `nil` when the failures have nothing to do with the dialect.
    public static func note(for diagnostics: [Diagnostic], catalog: Catalog, dialect: Dialect) -> String? {
        guard dialect == .sqlite else { return nil }
        let failing = diagnostics.filter { $0.code == .shadowFailed && $0.message.contains("syntax error") }
            .compactMap(\.location?.path)
        let syntax = PostgresOnlySyntax()
        for migration in catalog.migrations {
            for script in [migration.up] + (migration.down.map { [$0] } ?? [])
            where failing.contains(where: { $0 == script.path || $0.hasSuffix("/" + script.path) }) {
                guard let use = syntax.firstUse(in: script.sql) else { continue }
                let path = failing.first { $0 == script.path || $0.hasSuffix("/" + script.path) }!
                return "the dialect is sqlite ([migrations] dialect in .migrate/config.toml), but "
                    + "\(path):\(script.fileLine(forScriptLine: use.line)) uses \(use.feature), which only PostgreSQL has: "
                    + "if these migrations run on PostgreSQL, set dialect = \"postgres\" there"
            }
        }
        return nil
    }
}
