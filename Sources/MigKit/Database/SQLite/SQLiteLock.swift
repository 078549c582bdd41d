import Foundation

/// The migration lock of a SQLite database: an exclusive `flock` on the sidecar file `<db>.lock`.
///
/// Why a sidecar file and not `BEGIN IMMEDIATE`: a run holds the lock across many transactions
/// (one per migration) and across the read of the history table that decides what to apply, so
/// two concurrent `mig up` runs can never both see a migration as pending. The kernel drops a
/// `flock` when its process dies, even by SIGKILL, so a crashed run never leaves a stale lock;
/// the file itself stays (removing it would race with a waiting run) and holds no data.
final class SQLiteLock {
    let path: String
    private var descriptor: Int32 = -1

    /// How long to wait for another run to finish before giving up with a message (`[database] lock_wait`).
    let wait: Duration

    init(databasePath: String, wait: Duration) {
        path = databasePath + ".lock"
        self.wait = wait
    }

    deinit {
        release()
    }

    func acquire() throws(DatabaseError) {
        guard descriptor < 0 else { return }
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw DatabaseError(message: "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        while flock(opened, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR, clock.now < deadline else {
                let reason =
                    code == EWOULDBLOCK ? "another mig run held it for longer than [database] lock_wait (\(wait))" : String(cString: strerror(code))
                close(opened)
                throw DatabaseError(
                    message: "cannot take the migration lock \(path): \(reason); try again when that run has finished")
            }
            usleep(20_000)
        }
        descriptor = opened
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }
}
