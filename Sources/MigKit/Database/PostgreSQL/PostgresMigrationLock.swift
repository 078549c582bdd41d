import Foundation

/// How concurrent `mig` runs against one PostgreSQL database queue behind each other.
///
/// `advisory` (the default) holds a session-level advisory lock for the whole run; the server frees
/// it when a killed run's connection goes away. Waiters ask with `pg_try_advisory_lock` and sleep in
/// between, outside any transaction: a waiter parked in `pg_advisory_lock` holds a snapshot, and
/// `CREATE INDEX CONCURRENTLY` in the holder's run waits for every such snapshot — a deadlock.
///
/// Behind a transaction-pooling proxy (PgBouncer `pool_mode = transaction`) a session lock may land
/// on a server connection that another client gets next, so `table` mode takes a lease row instead.
/// A second connection renews the lease while the run lasts, however long one migration takes, and
/// every history row is written only while the lease is still this run's; a crashed run's lease
/// expires and is taken over.
///
/// Waiting is bounded by `[database] lock_wait`, never by `lock_timeout`; when it runs out the error
/// says who holds the lock.
final class PostgresMigrationLock {
    enum Kind {
        case advisory(Int64)
        /// The lease table's qualified name.
        case table(String)
    }

    let kind: Kind
    /// Seconds a run waits for the lock before giving up.
    let wait: Double
    /// Seconds a lease lasts without renewal.
    let lease: Double
    /// This run's name in the lease table: host, process and a random suffix.
    let holder: String
    /// Opens the lease renewer's own connection.
    private let connect: () throws -> PostgresConnection
    private var renewer: LeaseRenewer?

    /// The longest sleep between two attempts.
    static let longestPause = 0.5

    init(kind: Kind, wait: Double, lease: Double, connect: @escaping () throws -> PostgresConnection) {
        self.kind = kind
        self.wait = wait
        self.lease = lease
        self.connect = connect
        let process = ProcessInfo.processInfo
        holder = "\(process.hostName):\(process.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    deinit { renewer?.stop() }

    func acquire(on connection: PostgresConnection, history: PostgresHistoryTable) throws {
        if case .table(let table) = kind { try createLeaseTable(table, history: history, on: connection) }
        let deadline = Date().addingTimeInterval(wait)
        var pause = 0.05
        while true {
            if try attempt(on: connection) { break }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw try timedOut(on: connection) }
            Thread.sleep(forTimeInterval: min(pause * Double.random(in: 0.5...1), left))
            pause = min(pause * 2, Self.longestPause)
        }
        if case .table(let table) = kind {
            let renewer = LeaseRenewer(
                connection: try connect(), table: table, holder: holder, lease: lease)
            renewer.start()
            self.renewer = renewer
        }
    }

    /// Takes the lock if it is free, without waiting.
    private func attempt(on connection: PostgresConnection) throws -> Bool {
        switch kind {
        case .advisory(let key):
            return try connection.execute("SELECT pg_try_advisory_lock($1::bigint)", parameters: [String(key)])
                .value(row: 0, column: 0) == "t"
        case .table(let table):
            // The row is locked only for the instant another run renews or tries it; should anything
            // hold it longer, this attempt gives up after a second and the loop tries again.
            try run("BEGIN; SET LOCAL lock_timeout = '1s'", on: connection)
            do {
                let taken = try connection.execute(
                    """
                    INSERT INTO \(table) AS lease (id, holder, expires_at)
                    VALUES (1, $1, clock_timestamp() + make_interval(secs => $2::float8))
                    ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE lease.expires_at < clock_timestamp() OR lease.holder = excluded.holder
                    RETURNING holder
                    """, parameters: [holder, String(lease)])
                try run("COMMIT", on: connection)
                return taken.rowCount == 1
            } catch {
                try? run("ROLLBACK", on: connection)
                guard (error as? DatabaseError)?.code == "55P03" else { throw error }
                return false
            }
        }
    }

    /// Throws unless this run still holds the lease (advisory locks cannot be lost while the session
    /// lives). Called before each history row is written, in its transaction.
    func checkHeld(on connection: PostgresConnection) throws {
        guard case .table(let table) = kind else { return }
        let renewing = renewer?.isLost == false
        let row = try connection.execute(
            "SELECT 1 FROM \(table) WHERE holder = $1 AND expires_at > clock_timestamp()", parameters: [holder])
        guard renewing, row.rowCount == 1 else {
            throw DatabaseError(
                message:
                    "this run lost its migration lease in \(table) (it expired or another run took it over), so it stops here",
                hint: "the lease could not be renewed in time; check the connection and [database] lock_lease")
        }
    }

    func release(on connection: PostgresConnection) throws {
        switch kind {
        case .advisory(let key):
            try connection.execute("SELECT pg_advisory_unlock($1::bigint)", parameters: [String(key)])
        case .table(let table):
            renewer?.stop()
            renewer = nil
            try connection.execute("DELETE FROM \(table) WHERE holder = $1", parameters: [holder])
        }
    }

    // MARK: - Waiting too long

    /// The error after `wait` seconds: who holds the lock, from `pg_locks` and `pg_stat_activity` or
    /// from the lease row.
    private func timedOut(on connection: PostgresConnection) throws -> DatabaseError {
        let waited = "waited \(Self.duration(wait))"
        switch kind {
        case .advisory(let key):
            let rows = try connection.execute(
                """
                SELECT a.pid::text, coalesce(a.usename::text, '?'), coalesce(nullif(a.application_name, ''), '?'),
                       coalesce(host(a.client_addr), 'a local socket'), to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'),
                       coalesce(a.state, '?')
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
                """, parameters: [String(key)]
            ).rows
            let who =
                rows.first.map { row in
                    "server process \(row[0] ?? "?") (user \(row[1] ?? "?"), application \(row[2] ?? "?"), "
                        + "from \(row[3] ?? "?"), connected since \(row[4] ?? "?"), \(row[5] ?? "?"))"
                } ?? "another session (it has just released it)"
            return DatabaseError(
                message: "another run holds the migration lock: \(who); \(waited)",
                hint: rows.first.map {
                    "wait for that run to finish, or raise [database] lock_wait; if it is stuck, end it with "
                        + "SELECT pg_terminate_backend(\($0[0] ?? "pid"))"
                } ?? "run again")
        case .table(let table):
            let row = try connection.execute(
                "SELECT holder, to_char(expires_at, 'YYYY-MM-DD HH24:MI:SS TZ') FROM \(table) WHERE id = 1",
                parameters: []
            ).rows.first
            let who = row.map { "\($0[0] ?? "?") (lease until \($0[1] ?? "?"))" } ?? "another run"
            return DatabaseError(
                message: "another run holds the migration lease in \(table): \(who); \(waited)",
                hint:
                    "wait for that run to finish, or raise [database] lock_wait; a crashed run's lease expires by itself"
            )
        }
    }

    private static func duration(_ seconds: Double) -> String {
        seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0
            ? "\(Int(seconds / 60)) min" : "\(seconds.formatted(.number.precision(.fractionLength(0...1)))) s"
    }

    // MARK: - Lease table

    private func createLeaseTable(_ table: String, history: PostgresHistoryTable, on connection: PostgresConnection)
        throws
    {
        if let schema = history.schema {
            try history.createTolerantly("CREATE SCHEMA IF NOT EXISTS \(quoteIdentifier(schema))", on: connection)
        }
        try history.createTolerantly(
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                id integer PRIMARY KEY CHECK (id = 1),
                holder text NOT NULL,
                expires_at timestamptz NOT NULL
            )
            """, on: connection)
    }

    private func run(_ sql: String, on connection: PostgresConnection) throws {
        do {
            try connection.execute(sql)
        } catch {
            throw error.error
        }
    }
}

/// Renews a lease from a connection of its own, on a thread of its own, every third of the lease,
/// so that a migration running longer than the lease keeps it; notes when the lease is gone.
private final class LeaseRenewer: @unchecked Sendable {
    // The connection is used only by the renewing thread once it started; the flags only under `condition`.
    private let connection: PostgresConnection
    private let table: String
    private let holder: String
    private let lease: Double
    private let condition = NSCondition()
    private var stopping = false
    private var running = false
    private var lost = false

    init(connection: PostgresConnection, table: String, holder: String, lease: Double) {
        self.connection = connection
        self.table = table
        self.holder = holder
        self.lease = lease
    }

    func start() {
        running = true
        Thread { self.renew() }.start()
    }

    /// Whether the lease expired or went to another run.
    var isLost: Bool {
        condition.lock()
        defer { condition.unlock() }
        return lost
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func renew() {
        var renewed = Date()
        condition.lock()
        while !stopping {
            _ = condition.wait(until: Date().addingTimeInterval(lease / 3))
            guard !stopping else { break }
            condition.unlock()
            let result = try? connection.execute(
                "UPDATE \(table) SET expires_at = clock_timestamp() + make_interval(secs => $2::float8) WHERE holder = $1 RETURNING 1",
                parameters: [holder, String(lease)])
            condition.lock()
            if let result {
                if result.rowCount == 1 { renewed = Date() } else { lost = true }
            } else if Date().timeIntervalSince(renewed) >= lease {
                lost = true
            }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}
