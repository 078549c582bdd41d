import Foundation

/// Keeps the schema file (`mig schema`) following the migrations during development, so nobody
/// has to remember `mig schema` before committing: `mig new` and `mig fix` rewrite it after
/// changing the migration files, and `mig up` after applying to the development database.
///
/// The rule: the project keeps a schema file when the file exists or `[shadow] schema_file` is
/// set in config.toml. `mig up` refreshes it only when it ran against the development database —
/// the `[database] url` written literally in config.toml — and never when the URL came from
/// `--database`, `MIG_DATABASE_URL`, `DATABASE_URL` or an `env:` reference, which is how a
/// deployment points mig at another database: a deployment's checkout is never written to.
public struct SchemaFileRefresh {
    /// The schema file the project keeps (or would keep).
    public let file: SchemaFile
    /// Whether the project keeps the file (it exists, or config.toml names it).
    public let isKept: Bool

    /// The refresh of `project`'s schema file.
    public init(project: Project) {
        file = SchemaFile(project: project)
        isKept =
            project.configuration.shadow.schemaFileConfigured || FileManager.default.fileExists(atPath: file.url.path)
    }

    /// Whether `mig up` with `flag` (its `--database`) in `environment` runs against the
    /// development database: the literal `[database] url` of config.toml.
    public static func isDevelopmentDatabase(_ project: Project, flag: String?, environment: [String: String]) -> Bool {
        guard flag == nil, let configured = project.configuration.database.url, !configured.hasPrefix("env:") else {
            return false
        }
        return ["MIG_DATABASE_URL", "DATABASE_URL"].allSatisfy { environment[$0]?.isEmpty ?? true }
    }

    /// What a refresh did.
    public enum Outcome: Equatable {
        /// The project keeps no schema file.
        case notKept
        /// The file already matched the migrations.
        case unchanged
        /// The file was rewritten.
        case written
        /// The migration directory has files mig cannot use (their errors): the file is left as it was.
        case unusableFiles([Diagnostic])
        /// The migrations failed in the shadow (the findings): the file is left as it was.
        case failed([Diagnostic])
    }

    /// Rewrites the file from `catalog`'s migrations when the project keeps one.
    public func run(_ catalog: Catalog, in replay: ShadowReplay) throws -> Outcome {
        guard isKept else { return .notKept }
        guard !catalog.diagnostics.hasErrors else {
            return .unusableFiles(catalog.diagnostics.filter { $0.severity == .error })
        }
        var cacheUse = ShadowCacheUse()  // what the cache gave is not reported here
        switch try file.produce(catalog, in: replay, cacheUse: &cacheUse) {
        case .failed(let diagnostics): return .failed(diagnostics)
        case .text(let text): return try file.write(text) ? .written : .unchanged
        }
    }
}
