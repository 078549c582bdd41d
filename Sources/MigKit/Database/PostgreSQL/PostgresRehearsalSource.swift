import Foundation

/// The copy of a PostgreSQL database that `mig up` rehearses its plan on before touching the
/// database: a fresh database in the shadow server (the private cluster, or `[shadow] url`) holding
/// the target's schema, never the target itself, so the rehearsal takes no lock there and may run
/// every step, those outside a transaction included.
///
/// The schema comes from `pg_dump --schema-only --no-owner --no-privileges` of the target (a client
/// of the target's major version or newer), restored with psql. Where that cannot be done (no
/// `pg_dump` as new as the server, a lock the dump waited for longer than `lock_timeout`, a restore
/// error), the copy is rebuilt by replaying the migrations the target's history says are applied,
/// and a note says so. The copy has no rows: a migration that depends on data is rehearsed on
/// empty tables.
public final class PostgresRehearsalSource: RehearsalSource {
    /// Starts (or connects to) the shadow server, given the target's major version.
    public typealias ServerFactory = (_ majorVersion: Int) throws -> PostgresShadowServer

    private let makeServer: ServerFactory
    private let settings: Configuration.Database
    private let environment: [String: String]
    /// Started on the first copy and kept until `endRehearsals()`, with every copy made on it.
    private var server: PostgresShadowServer?
    /// Where the server is let go of once the rehearsals are over.
    private let teardown = BackgroundRelease()

    public init(
        settings: Configuration.Database, environment: [String: String] = ProcessInfo.processInfo.environment,
        makeServer: @escaping ServerFactory
    ) {
        self.settings = settings
        self.environment = environment
        self.makeServer = makeServer
    }

    public func copy(of database: any DatabaseDriver, catalog: Catalog, directoryPrefix: String) throws -> (
        database: any DatabaseDriver, notes: [String]
    ) {
        guard let target = database as? PostgresDriver else {
            throw DatabaseError(message: "a PostgreSQL rehearsal copy needs a PostgreSQL database")
        }
        let targetVersion = target.serverVersion
        var notes: [String] = []
        // The dump of the target and the start of the shadow server wait on different programs.
        let known = server
        let (dumped, started) = concurrently(
            {
                Result { () throws(DatabaseError) in
                    try SchemaDump(
                        of: target, major: Self.major(targetVersion), settings: settings, environment: environment)
                }
            },
            { Result { try known ?? makeServer(Self.major(targetVersion)) } })
        let server = try started.get()
        if known == nil { notes += server.clusterNote.map { [$0] } ?? [] }
        self.server = server
        if Self.major(server.serverVersion) != Self.major(targetVersion) {
            notes.append(
                "the database runs PostgreSQL \(Self.shown(targetVersion)) and the rehearsal's shadow server "
                    + "PostgreSQL \(Self.shown(server.serverVersion)): what differs between them may differ in the rehearsal"
            )
        }
        let dumpFailure: DatabaseError
        do {
            return (try dumped.get().restore(on: server), notes)
        } catch {
            dumpFailure = error
        }
        notes.append(
            "the rehearsal copy is rebuilt from the applied migrations, since the database's schema could not be "
                + "copied: \(dumpFailure.message)")
        do {
            return (try replayOfApplied(target, catalog: catalog, directoryPrefix: directoryPrefix, on: server), notes)
        } catch {
            throw DatabaseError(
                message: "cannot make the rehearsal copy of the database: its schema could not be copied "
                    + "(\(dumpFailure.message)), and replaying its applied migrations failed: \(error)",
                hint: "nothing was changed; fix the cause above, or pass --no-shadow to apply without a rehearsal")
        }
    }

    /// Lets go of the shadow server on another thread: dropping the copies and stopping a private
    /// cluster take a tenth of a second, which the real run need not wait for. This source waits for
    /// that when it goes.
    public func endRehearsals() {
        teardown.release(&server)
    }

    /// A shadow database in which the migrations `target`'s history lists as applied ran again, in
    /// the order they were applied (of a dirty one, the statements it completed), followed by the
    /// applied repeatable migrations.
    private func replayOfApplied(
        _ target: PostgresDriver, catalog: Catalog, directoryPrefix: String, on server: PostgresShadowServer
    ) throws -> any DatabaseDriver {
        let applied = AppliedMigration.inAppliedOrder(try target.appliedMigrations())
        var migrations: [(Migration, AppliedMigration)] = []
        for row in applied {
            guard let migration = catalog.migration(row.version) else {
                throw DatabaseError(
                    message:
                        "the applied migration \(row.version.text)_\(row.name) has no file in the migration directory")
            }
            migrations.append((migration, row))
        }
        let repeatables = Set(try target.appliedRepeatables().map(\.name))
        let copy = try server.makeDatabase(inMemory: true)
        let executor = MigrationStepExecutor(
            driver: copy, context: nil, directoryPrefix: directoryPrefix, inShadow: true)
        let readings = ScriptReadings(dialect: .postgres)
        for (migration, row) in migrations {
            guard row.state == .dirty else {
                _ = try executor.perform(.apply(migration))
                continue
            }
            let statements = try readings.read(migration.up).statements
            let done = MigrationPlanner.resumePoint(of: migration, after: row, statements: statements) ?? 0
            for statement in statements.prefix(done) { try copy.execute(statement, of: migration.up) }
        }
        for repeatable in catalog.repeatables where repeatables.contains(repeatable.name) {
            _ = try executor.perform(repeatable)
        }
        return copy
    }

    /// The major version of a `server_version_num` (9 for 90624, 15 for 150018).
    private static func major(_ version: Int) -> Int { version / 10000 }

    /// A `server_version_num` as people write the version (`9.6`, `15`).
    private static func shown(_ version: Int) -> String {
        version >= 100000 ? "\(version / 10000)" : "\(version / 10000).\(version / 100 % 100)"
    }
}

/// `pg_dump --schema-only --no-owner --no-privileges` of a target, in a private temporary folder
/// that goes with this.
private final class SchemaDump {
    private let folder: URL
    private let file: URL
    private let tools: PostgresClientTools

    /// Dumps `target` (of PostgreSQL `major`) with a `pg_dump` of that version or newer.
    init(of target: PostgresDriver, major: Int, settings: Configuration.Database, environment: [String: String])
        throws(DatabaseError)
    {
        guard let tools = PostgresClientTools.forServer(major: major, environment: environment) else {
            throw DatabaseError(
                message: "no pg_dump of PostgreSQL \(major) or newer is installed "
                    + "(looked in /usr/lib/postgresql/*/bin and the PATH)")
        }
        do {
            folder = try PostgresClientTools.privateFolder()
        } catch {
            throw DatabaseError(message: "cannot create a private temporary folder for the schema dump: \(error)")
        }
        file = folder.appending(path: "schema.sql")
        self.tools = tools
        // pg_dump takes a share lock on every table it dumps; a table locked exclusively would make it
        // wait without end, so it waits at most as long as a migration would.
        let lockWait = settings.lockTimeout.flatMap { ["0", ""].contains($0) ? nil : $0 } ?? settings.lockWait
        try tools.run(
            "pg_dump",
            [
                "--schema-only", "--no-owner", "--no-privileges", "--lock-wait-timeout=\(lockWait)",
                "--file=\(file.path)",
            ], connection: target.connectionString, database: target.databaseOverride,
            connectTimeout: settings.connectTimeout)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A new database on `server` holding the dumped schema.
    func restore(on server: PostgresShadowServer) throws(DatabaseError) -> any DatabaseDriver {
        do {
            return try server.makeDatabase(restoring: file, with: tools)
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw DatabaseError(message: "\(error)")
        }
    }
}
