import ArgumentParser
import Foundation
import MigKit

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Write the schema the migrations produce to .migrate/schema.sql (or [shadow] schema_file).",
        discussion: """
            Replays every up script into a shadow (restoring unchanged prefixes from .migrate/cache), \
            then the repeatable migrations (Flyway's R__ files, after every versioned one, as `mig up` \
            runs them), and writes the resulting schema — tables with their columns and constraints, indexes, \
            views, triggers, and on PostgreSQL functions, sequences and enum types — sorted and \
            normalised, so the same migrations give the same bytes on every machine. Commit the file: \
            a review then shows each pull request's schema change, and `mig check` reports \
            stale-schema when the file no longer matches the migrations. With --check it only \
            compares, and exits 1 when the file is missing or stale.
            """
    )

    @Flag(help: "Do not write: exit 1 when the file is missing or differs from what the migrations produce.")
    var check = false

    @Flag(help: "Replay from nothing: neither use nor keep snapshots in .migrate/cache.")
    var noCache = false

    func run() throws {
        try runReportingErrors(json: false) {
            let project = try currentProject()
            let catalog = try catalogForRunning(project)
            let file = SchemaFile(project: project)
            var cacheUse = ShadowCacheUse()
            let produced = try file.produce(
                catalog, in: try shadowReplay(for: project, noCache: noCache), cacheUse: &cacheUse)
            for note in cacheUse.notes { Console.note("note: " + note) }
            if let summary = cacheUse.summary { Console.note(summary) }
            switch produced {
            case .failed(let diagnostics):
                Console.printDiagnostics(diagnostics)
                Console.error("the shadow replay failed (above): \(file.displayPath) is left as it was")
                throw ExitCode(1)
            case .text(let text) where check:
                if let stale = try file.staleness(expected: text) {
                    Console.printDiagnostics([stale])
                    throw ExitCode(1)
                }
                guard try file.read() != nil else {
                    Console.error("\(file.displayPath) does not exist: run `mig schema` to write it")
                    throw ExitCode(1)
                }
                Console.note("\(file.displayPath) matches the migrations")
            case .text(let text):
                let changed = try file.write(text)
                Console.note(changed ? "wrote \(file.displayPath)" : "\(file.displayPath) is up to date")
            }
        }
    }
}

/// After `new`, `fix` or `up`: rewrites the schema file when the project keeps one
/// (`SchemaFileRefresh`) and says so. A refresh that cannot run is a warning, never the
/// command's failure: the migrations were written or applied all the same.
func refreshSchemaFile(of project: Project) {
    let refresh = SchemaFileRefresh(project: project)
    guard refresh.isKept else { return }
    let path = refresh.file.displayPath
    do {
        let catalog = try substitutingPlaceholders(in: try project.loadCatalog(), of: project)
        switch try refresh.run(catalog, in: try shadowReplay(for: project)) {
        case .notKept, .unchanged: break
        case .written: Console.note("refreshed \(path)")
        case .unusableFiles(let diagnostics):
            Console.printDiagnostics(diagnostics)
            Console.warning(
                "\(path) not refreshed: the migration directory has files mig cannot use (above); "
                    + "run `mig schema` once they are fixed")
        case .failed(let diagnostics):
            Console.printDiagnostics(diagnostics)
            Console.warning(
                "\(path) not refreshed: the migrations do not replay (above); run `mig schema` once they do")
        }
    } catch is ExitCode {
        Console.warning("\(path) not refreshed (above); run `mig schema` once that is fixed")
    } catch {
        Console.warning("\(path) not refreshed: \(error); run `mig schema` once that is fixed")
    }
}
