import Foundation

/// The schema the migrations produce, kept as a file in the repository (`mig schema`), so a
/// review shows a pull request's schema change as a diff and two branches that change the same
/// table conflict in Git where a person sees them.
///
/// The text is the shadow's `SchemaSnapshot` — every object sorted by kind and name, its facts
/// normalised and sorted — under a fixed header: the same migrations give the same bytes on every
/// machine (no date, no path outside the project). `mig check` compares the file with what the
/// branch's migrations produce and reports `stale-schema` when they differ.
public struct SchemaFile: Sendable {
    /// The file and the replay that tells whether it is current: what `mig check` needs for `stale-schema`.
    public struct Check {
        public let file: SchemaFile
        public let replay: ShadowReplay

        public init(file: SchemaFile, replay: ShadowReplay) {
            self.file = file
            self.replay = replay
        }
    }

    /// Where the file lives, and how findings name it (relative to the project root).
    public let url: URL
    public let displayPath: String
    /// The migration directory and dialect, named in the header.
    public let directory: String
    public let dialect: Dialect

    public init(project: Project) {
        displayPath = project.configuration.shadow.schemaFile
        url = project.root.appending(path: displayPath)
        directory = project.configuration.migrations.directory
        dialect = project.configuration.migrations.dialect
    }

    /// What replaying the migrations gave: the file's text, or the replay's findings when it failed.
    public enum Produced {
        case text(String)
        case failed([Diagnostic])
    }

    /// Replays `catalog`'s migrations (ups only, cached snapshots welcome), then its repeatables
    /// (`R__`, after every versioned one, as `mig up` runs them), and renders the schema they produce.
    /// `cacheUse` counts what the replay took from the snapshot cache.
    public func produce(_ catalog: Catalog, in replay: ShadowReplay, cacheUse: inout ShadowCacheUse) throws -> Produced {
        let report = try replay.run(
            catalog.migrations, repeatables: catalog.repeatables, roundtrip: false, capturingSchema: true)
        cacheUse.add(report, of: catalog.migrations.count, by: replay)
        guard report.diagnostics.isEmpty, let schema = report.schema else { return .failed(report.diagnostics) }
        return .text(render(schema))
    }

    /// The file's text for `schema`.
    public func render(_ schema: SchemaSnapshot) -> String {
        var text = """
            -- The schema the migrations in \(directory) produce (\(dialect.rawValue)), written by `mig schema`.
            -- Do not edit: objects are sorted by kind and name, their facts normalised and sorted.
            -- `mig check` reports stale-schema when this file no longer matches the migrations.

            """
        for object in schema.objects {
            text += "\n\(object.kind) \(object.name)\n"
            for detail in object.details { text += "    \(detail)\n" }
        }
        return text
    }

    /// The file's current text, or `nil` when there is no file.
    public func read() throws -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw DatabaseError(message: "\(displayPath) cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
    }

    /// Writes `text` to a temporary file beside the file and renames it over, so an interrupted
    /// run leaves the old file whole. Returns whether the content changed.
    @discardableResult
    public func write(_ text: String) throws -> Bool {
        if try read() == text { return false }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
        return true
    }

    /// `stale-schema` when the file exists and differs from `expected` (the rendered schema the
    /// branch's migrations produce); `nil` when it matches or there is no file.
    public func staleness(expected: String) throws -> Diagnostic? {
        guard let current = try read(), current != expected else { return nil }
        return Diagnostic(
            code: .staleSchema, location: SourceLocation(path: displayPath),
            message: "\(displayPath) does not match the schema the migrations produce",
            hint: "run `mig schema` and commit \(displayPath)")
    }
}
