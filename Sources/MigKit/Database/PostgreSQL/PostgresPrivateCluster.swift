internal import CLibPQ
import Foundation

/// A PostgreSQL cluster of mig's own for shadow replays: a server listening only on a private Unix
/// socket in a temporary folder, stopped in `deinit`.
///
/// By default the cluster is throw-away: `initdb` into the temporary folder, removed with it.
/// `kept(in:)` keeps the data directory in a folder (`.migrate/cache/postgres`, so that the snapshot
/// cache's template databases outlive the run) and the next run starts the server on it again
/// instead of running `initdb`. One run at a time uses a kept cluster: it holds an exclusive `flock`
/// on the folder's `lock` file, shared with its watchdog, so the lock goes only once the server has
/// stopped, even after a SIGKILL. A run that finds the lock taken, or cannot use the kept cluster,
/// gets a throw-away one and a note saying why; nothing waits for another run.
///
/// The server binaries are the installed ones (`MIG_POSTGRES_BIN`, else those of the major version
/// asked for, else the newest `/usr/lib/postgresql/*/bin`, else the folder of `initdb` on the PATH).
/// `initdb` refuses to run as root, so as root the cluster runs as the unprivileged `postgres` (or
/// `nobody`) user. The server runs without fsync: a shadow can always be replayed again, so
/// durability buys nothing. A watchdog in a session of its own stops the server and removes the
/// temporary folder should mig end without `deinit` (Ctrl-C, SIGKILL).
final class PostgresPrivateCluster {
    /// The run's own folder: the socket, the logs, and a throw-away cluster's data.
    private let directory: URL
    private let data: URL
    private let binaries: URL
    private let user: String?
    /// The descriptor that holds a kept cluster's lock; `nil` for a throw-away cluster.
    private let keptLock: Int32?
    private var watchdog: pid_t = 0
    /// `postgresql:///postgres?host=…`: the superuser `postgres`, as on a real server (migrations
    /// that `GRANT … TO postgres` or `ALTER … OWNER TO postgres` run here too), trusted on the private socket.
    let url: String

    /// Whether the data directory outlives this run.
    var isKept: Bool { keptLock != nil }
    /// Whether the run's folder (with a throw-away cluster's data) is in memory (`memoryFolder()`).
    private let isInMemory: Bool
    /// The server's `postmaster.pid`, there while it runs (or left by one that crashed).
    private var pidFile: String { data.appending(path: "postmaster.pid").path }

    /// A throw-away cluster, running the server binaries of `majorVersion` when they are installed.
    convenience init(majorVersion: Int? = nil) throws {
        try self.init(keptIn: nil, lock: nil, tools: try Self.tools(majorVersion: majorVersion))
    }

    /// The server binaries (of `majorVersion` when installed) and the user to run them as.
    private static func tools(majorVersion: Int?) throws -> (binaries: URL, user: String?) {
        (try findBinaries(majorVersion: majorVersion), getuid() == 0 ? try unprivilegedUser() : nil)
    }

    /// The cluster kept in `folder` when this run can have it, else a throw-away one with a note
    /// that says why. A run that asks for other server binaries than `mig shadow` runs (those of
    /// `majorVersion`, not the newest) gets a throw-away one without a note: the kept cluster is
    /// made by, and stays with, the binaries that `mig shadow` runs.
    static func kept(in folder: URL, majorVersion: Int? = nil) throws -> (cluster: PostgresPrivateCluster, note: String?) {
        let shown = folder.path
        let tools = try Self.tools(majorVersion: majorVersion)
        guard try findBinaries(majorVersion: nil) == tools.binaries else {
            return (try PostgresPrivateCluster(majorVersion: majorVersion), nil)
        }
        // This run's own earlier cluster may still be stopping on another thread, holding the lock.
        BackgroundRelease.waitForAll()
        let lock: Int32
        switch Self.lock(folder) {
        case .success(let descriptor): lock = descriptor
        case .failure(let failure): return (try PostgresPrivateCluster(majorVersion: majorVersion), failure.message)
        }
        do {
            return (try PostgresPrivateCluster(keptIn: folder, lock: lock, tools: tools), nil)
        } catch {
            let reason = (error as? DatabaseError)?.message ?? "\(error)"
            return (
                try PostgresPrivateCluster(majorVersion: majorVersion),
                "the shadow cluster kept in \(shown) cannot be used (\(reason)); this run's cluster is throw-away"
            )
        }
    }

    /// On a throw, `deinit` stops what was started and releases `lock`.
    private init(keptIn folder: URL?, lock: Int32?, tools: (binaries: URL, user: String?)) throws {
        (binaries, user) = tools
        let parent = Self.memoryFolder() ?? FileManager.default.temporaryDirectory
        isInMemory = parent != FileManager.default.temporaryDirectory
        directory = parent.appending(path: "mig-shadow-\(UUID().uuidString.prefix(12))")
        data = folder?.appending(path: "data") ?? directory.appending(path: "data")
        keptLock = lock
        let socket = directory.appending(path: "socket").path
        url = "postgresql:///postgres?host=\(socket)&user=postgres"
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
        if let user { try Self.give(directory, to: user) }
        try startWatchdog()
        if let folder {
            try startKept(in: folder)
        } else {
            try initdb(data)
            try start()
        }
    }

    deinit {
        if isKept {
            // A clean shutdown, so that the next start has no WAL to replay.
            stop("fast")
            // The watchdog shares the lock: it goes now, not at the watchdog's next look.
            if watchdog > 0 {
                kill(watchdog, SIGKILL)
                _ = ChildProgram.waitForExit(of: watchdog)
            }
        } else {
            stop("immediate")
        }
        try? FileManager.default.removeItem(at: directory)
        if let keptLock { close(keptLock) }
    }

    /// `/dev/shm` when it is a memory file system with at least a GiB free, unless `TMPDIR` says
    /// where temporary files go. A throw-away cluster lives there, and so do the rehearsal copies in
    /// a kept one (`memoryTablespaceFolder()`): a shadow is never worth keeping after a restart, and
    /// creating a relation's files is much of a replay's time on a disk's file system.
    static func memoryFolder() -> URL? {
        let path = "/dev/shm"
        var status = statvfs()
        let isMemory = { (mount: Substring) in mount.split(separator: " ").dropFirst().prefix(2) == [path[...], "tmpfs"] }
        guard ProcessInfo.processInfo.environment["TMPDIR"] == nil,
            let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8),
            mounts.split(separator: "\n").contains(where: isMemory),
            statvfs(path, &status) == 0, access(path, W_OK | X_OK) == 0,
            UInt64(status.f_bavail) * UInt64(status.f_frsize) >= 1 << 30
        else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }

    /// For a kept cluster whose run folder is in memory, a new empty folder there, owned by the
    /// server's user, for a tablespace that keeps the databases made in it off the disk; `nil`
    /// otherwise (a throw-away cluster in memory has all of its databases there already). The
    /// watchdog removes it with the run's folder.
    func memoryTablespaceFolder() throws -> URL? {
        guard isKept, isInMemory else { return nil }
        let folder = directory.appending(path: "tablespace")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let user { try Self.give(folder, to: user) }
        return folder
    }

    /// The process id on the first line of a `postmaster.pid`.
    static func pid(in pidFile: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return text.split(separator: "\n", maxSplits: 1).first.flatMap { pid_t($0.trimmingWhitespace()) }
    }

    /// Whether `pid` is a PostgreSQL server of the data directory `data`: a server works in its data
    /// directory.
    static func isServer(_ pid: pid_t, of data: URL) -> Bool {
        guard pid > 0, let directory = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        else { return false }
        return URL(fileURLWithPath: directory).standardizedFileURL.path
            == data.resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// Why a kept cluster's lock could not be taken.
    private struct LockFailure: Error {
        let message: String
    }

    /// Takes the exclusive lock of the kept cluster in `folder` without waiting, creating the
    /// folder (ignored by Git) first.
    private static func lock(_ folder: URL) -> Result<Int32, LockFailure> {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let ignore = folder.appending(path: ".gitignore")
            if !FileManager.default.fileExists(atPath: ignore.path) {
                try Data("# mig's shadow cluster: safe to delete when no mig runs, never committed.\n*\n".utf8)
                    .write(to: ignore)
            }
        } catch {
            return .failure(LockFailure(message: "cannot create \(folder.path) for the shadow cluster: \(error)"))
        }
        let descriptor = open(folder.appending(path: "lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            return .failure(
                LockFailure(message: "cannot open the lock of the shadow cluster in \(folder.path): "
                    + String(cString: strerror(errno))))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return .failure(
                LockFailure(
                    message: "another mig run is using the shadow cluster kept in \(folder.path), "
                        + "so this run's cluster is throw-away (no cached snapshots)"))
        }
        return .success(descriptor)
    }

    /// Starts the server on the kept data directory: stops one a killed run left behind, and makes
    /// the directory anew (it is only a cache) when it is missing or will not start.
    private func startKept(in folder: URL) throws {
        if FileManager.default.fileExists(atPath: pidFile) {
            // `pg_ctl stop` signals whatever process has the file's pid: after a reboot that may be
            // another program of the server's user (a system PostgreSQL). Only this data directory's
            // own server is stopped; a stale file is removed.
            if let pid = Self.pid(in: pidFile), Self.isServer(pid, of: data) {
                stop("immediate")
            } else {
                try? FileManager.default.removeItem(atPath: pidFile)
            }
        }
        if FileManager.default.fileExists(atPath: data.appending(path: "PG_VERSION").path) {
            do {
                try start()
                return
            } catch {}
        }
        // Leftovers of an initdb that was cut short, and a directory that would not start.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where entry == "data" || entry.hasPrefix("data.new-") {
            try FileManager.default.removeItem(at: folder.appending(path: entry))
        }
        // Made beside and renamed into place, so a killed initdb never leaves a half cluster as `data`.
        let fresh = folder.appending(path: "data.new-\(UUID().uuidString.prefix(8))")
        try initdb(fresh)
        guard rename(fresh.path, data.path) == 0 else {
            throw DatabaseError(message: "cannot rename \(fresh.path): \(String(cString: strerror(errno)))")
        }
        try start()
    }

    /// `initdb` into `folder`, created here (owned by the user who runs the server).
    private func initdb(_ folder: URL) throws {
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let user { try Self.give(folder, to: user) }
        try run(
            "initdb",
            [
                "-D", folder.path, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                "--no-instructions",
            ])
    }

    /// Starts the server and waits until it accepts connections. `pg_ctl -w` looks ten times a second;
    /// this looks every 5 ms, which is most of a kept cluster's start.
    private func start() throws {
        let log = directory.appending(path: "server.log")
        let launched = Date()
        try run(
            "pg_ctl",
            [
                "-D", data.path, "-l", log.path, "-W", "-o",
                "-k \(directory.appending(path: "socket").path) -c listen_addresses= -F -c max_connections=30 "
                    + "-c full_page_writes=off -c dynamic_shared_memory_type=mmap",
                "start",
            ])
        let started = ContinuousClock.now
        var seenRunning = false
        while PQping(url) != PQPING_OK {
            // Only a pid file written since the launch is this server's: a stale one can outlive a crash.
            let modified = (try? FileManager.default.attributesOfItem(atPath: pidFile))?[.modificationDate] as? Date
            let running = modified.map { $0 >= launched } ?? false
            seenRunning = seenRunning || running
            let waited = ContinuousClock.now - started
            // A server that ends on the way removes its pid file; one that never wrote it did not start.
            guard running || (!seenRunning && waited < .seconds(30)), waited < .seconds(60) else {
                stop("immediate")
                let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw DatabaseError(
                    message: "the PostgreSQL shadow cluster did not start: \(said.trimmingWhitespace())",
                    hint: "or give a server to create shadow databases on: --shadow-url or [shadow] url")
            }
            usleep(5000)
        }
    }

    /// Stops the server (`pg_ctl stop` in `mode`) and waits until it is down, looking every 5 ms (as
    /// `start()` does), for at most 60 s.
    private func stop(_ mode: String) {
        guard (try? run("pg_ctl", ["-D", data.path, "-m", mode, "-W", "stop"])) != nil else { return }
        let started = ContinuousClock.now
        while FileManager.default.fileExists(atPath: pidFile), ContinuousClock.now - started < .seconds(60) {
            usleep(5000)
        }
    }

    /// The command line that runs one of the server binaries (as the unprivileged user when there is one).
    private func command(_ tool: String, _ arguments: [String]) -> [String] {
        let executable = binaries.appending(path: tool).path
        return (user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]) + arguments
    }

    /// Starts a shell that waits for this process to end, then stops the server and removes the
    /// run's folder. Started before `initdb`, so a mig killed at any point leaves nothing behind; it
    /// stops the server twice, two seconds apart, in case mig died while `pg_ctl start` was still
    /// bringing it up. In a new session, so Ctrl-C on mig's terminal does not reach it. It holds a
    /// kept cluster's lock (descriptor 3, closed for the commands it runs) until the server is down.
    /// A kept cluster stops cleanly (`-m fast`), with a checkpoint: its next start then replays no
    /// WAL, which could not reach the files of a rehearsal copy in the tablespace in memory that
    /// goes with the run's folder.
    private func startWatchdog() throws {
        let quoted = { (word: String) in "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let stop = command("pg_ctl", ["-D", data.path, "-m", isKept ? "fast" : "immediate", "-w", "stop"])
        let script = """
            while kill -0 \(getpid()) 2>/dev/null && [ "$(cut -d' ' -f3 /proc/\(getpid())/stat 2>/dev/null)" != Z ]; do
              sleep 1 3>&-
            done
            [ -d \(quoted(directory.path)) ] || exit 0
            \(stop.map(quoted).joined(separator: " ")) >/dev/null 2>&1 3>&-
            sleep 2 3>&-
            \(stop.map(quoted).joined(separator: " ")) >/dev/null 2>&1 3>&-
            rm -rf \(quoted(directory.path))
            """
        watchdog = try Self.spawn(
            ["/bin/sh", "-c", script], output: "/dev/null", newSession: true, sharing: keptLock)
    }

    /// Runs one of the server binaries and returns what it printed.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        // Output goes to a file, not a pipe: the server that pg_ctl starts inherits the descriptors.
        let outputPath = directory.appending(path: "\(tool).out").path
        let status = ChildProgram.waitForExit(of: try Self.spawn(command(tool, arguments), output: outputPath))
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw DatabaseError(
                message: "\(tool) failed while starting the PostgreSQL shadow cluster: \(text.trimmingWhitespace())",
                hint: "or give a server to create shadow databases on: --shadow-url or [shadow] url")
        }
        return text
    }

    /// Starts `command` with stdin from /dev/null and stdout and stderr into `output`. Not
    /// Foundation's `Process`: on Linux it learns of the child's exit through a descriptor the child
    /// inherits, which the daemon pg_ctl starts would inherit too and hold open, so waiting for
    /// pg_ctl would never end.
    private static func spawn(
        _ command: [String], output: String, newSession: Bool = false, sharing shared: Int32? = nil
    ) throws -> pid_t {
        closeDescriptorsOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // As descriptor 3 of the child, from a copy numbered above 3: dup2 onto another number
        // clears close-on-exec. The copy shares the lock, so it is closed again below.
        let spare = shared.map { fcntl($0, F_DUPFD_CLOEXEC, 10) } ?? -1
        defer { if spare >= 0 { close(spare) } }
        if spare >= 0 { posix_spawn_file_actions_adddup2(&actions, spare, 3) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // A descriptor another thread opened since the pass above (a password file for pg_dump)
        // goes neither to the server nor to the watchdog.
        _ = spawnClosesDescriptors(&actions, from: spare >= 0 ? 4 : 3)
        var attributes = SpawnAttributes(newSession: newSession)
        defer { attributes.release() }
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes.value, arguments, environ)
        guard spawned == 0 else {
            throw DatabaseError(
                message: "cannot run \(command[0]) for the PostgreSQL shadow: \(String(cString: strerror(spawned)))")
        }
        return pid
    }

    /// Marks every descriptor above stderr close-on-exec, so the server and the watchdog hold none
    /// of mig's: a parent that waits for mig through a descriptor (a pipe, Foundation's `Process`)
    /// must see it close when mig ends, not when the cluster does.
    private static func closeDescriptorsOnExec() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let descriptor = Int32(entry), descriptor > 2 else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }


    private static func findBinaries(majorVersion: Int?) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["MIG_POSTGRES_BIN"] { return URL(fileURLWithPath: folder) }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }.sorted()
        if let majorVersion, versions.contains(majorVersion) {
            return URL(fileURLWithPath: "\(root)/\(majorVersion)/bin")
        }
        if let newest = versions.last { return URL(fileURLWithPath: "\(root)/\(newest)/bin") }
        for folder in (environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return URL(fileURLWithPath: String(folder))
        }
        throw DatabaseError(
            message: "no PostgreSQL server binaries (initdb, pg_ctl) found for the shadow cluster",
            hint: "install the postgresql package, set MIG_POSTGRES_BIN to their folder, or pass --shadow-url")
    }

    private static func unprivilegedUser() throws -> String {
        for name in ["postgres", "nobody"] where getpwnam(name) != nil { return name }
        throw DatabaseError(
            message:
                "initdb refuses to run as root, and there is no postgres or nobody user to run the shadow cluster as",
            hint: "run mig as an ordinary user, or pass --shadow-url")
    }

    /// Hands `folder` and what is in it to `user`, who runs the server.
    private static func give(_ folder: URL, to user: String) throws {
        guard let entry = getpwnam(user) else { return }
        let owner = [FileAttributeKey.ownerAccountID: NSNumber(value: entry.pointee.pw_uid)]
        try FileManager.default.setAttributes(owner, ofItemAtPath: folder.path)
        for item in FileManager.default.subpaths(atPath: folder.path) ?? [] {
            try FileManager.default.setAttributes(owner, ofItemAtPath: folder.appending(path: item).path)
        }
    }
}
