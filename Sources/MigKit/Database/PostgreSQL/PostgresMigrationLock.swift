import Foundation

/// How concurrent `mig` runs against one PostgreSQL database queue behind each other.
///
/// `advisory` (the default) holds a session-level `pg_advisory_lock` for the whole run: the server
/// queues waiting deployers and frees the lock when a killed run's connection goes away. Behind a
/// transaction-pooling proxy (PgBouncer `pool_mode = transaction`) a session lock may land on a
/// server connection that another client gets next, so `table` mode takes a lease row instead —
/// held until released or until the lease expires, renewed with every history row written.
enum PostgresMigrationLock {
    case advisory(Int64)
    case table(String, holder: String)

    /// How long a lease lasts without renewal (a crashed holder blocks others this long at most).
    static let lease = "10 minutes"
    /// Seconds between a waiting deployer's attempts to take the lease.
    static let leasePollInterval = 0.2

    func acquire(on connection: PostgresConnection, history: PostgresHistoryTable) throws {
        switch self {
        case .advisory(let key):
            // Waiting for the lock is the point: the session's lock_timeout must not cut it short, and
            // a session-level lock taken inside a transaction outlives its commit.
            try run(
                """
                BEGIN;
                SET LOCAL lock_timeout = 0;
                SET LOCAL statement_timeout = 0;
                SELECT pg_advisory_lock(\(key));
                COMMIT
                """, on: connection)
        case .table(let table, let holder):
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
            while true {
                let taken = try connection.execute(
                    """
                    INSERT INTO \(table) AS lease (id, holder, expires_at) VALUES (1, $1, now() + interval '\(Self.lease)')
                    ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                    WHERE lease.expires_at < now() OR lease.holder = excluded.holder
                    RETURNING holder
                    """, parameters: [holder])
                if taken.rowCount == 1 { return }
                Thread.sleep(forTimeInterval: Self.leasePollInterval)
            }
        }
    }

    /// Extends a table lease; an advisory lock needs nothing.
    func renew(on connection: PostgresConnection) throws {
        guard case .table(let table, let holder) = self else { return }
        try connection.execute(
            "UPDATE \(table) SET expires_at = now() + interval '\(Self.lease)' WHERE holder = $1", parameters: [holder])
    }

    func release(on connection: PostgresConnection) throws {
        switch self {
        case .advisory(let key):
            try run("SELECT pg_advisory_unlock(\(key))", on: connection)
        case .table(let table, let holder):
            try connection.execute("DELETE FROM \(table) WHERE holder = $1", parameters: [holder])
        }
    }

    private func run(_ sql: String, on connection: PostgresConnection) throws {
        do {
            try connection.execute(sql)
        } catch {
            throw error.error
        }
    }
}
