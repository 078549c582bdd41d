import Foundation
import MigKit
import MigTestSupport

/// A migration directory in a scratch folder, written migration by migration in the sections layout.
struct MigrationFixture {
    let scratch: ScratchDirectory
    let directory: String

    init(directory: String = "db/migrations") throws {
        scratch = try ScratchDirectory()
        self.directory = directory
    }

    /// Writes `V_name.sql` with the given up and (optional) down SQL.
    func add(_ version: String, _ name: String, up: String, down: String? = nil) throws {
        var text = "-- mig:up\n\(up)\n"
        if let down { text += "-- mig:down\n\(down)\n" }
        try scratch.write("\(directory)/\(version)_\(name).sql", text)
    }

    func remove(_ version: String, _ name: String) throws {
        try FileManager.default.removeItem(at: scratch.url.appending(path: "\(directory)/\(version)_\(name).sql"))
    }

    func catalog() throws -> Catalog {
        try CatalogLoader().load(
            from: DirectorySource(directory: scratch.url.appending(path: directory), displayPrefix: directory))
    }

    var context: RunContext { RunContext(appliedBy: "tester", gitCommit: "abc123", directoryPrefix: directory) }

    func database(_ name: String = "app.db") throws -> SQLiteDriver {
        try SQLiteDriver(path: scratch.url.appending(path: name).path)
    }

    func replay() -> ShadowReplay {
        ShadowReplay(directoryPrefix: directory) { try SQLiteDriver.inMemory() }
    }
}
