import Foundation

/// A PostgreSQL cluster of mig's own for shadow replays: `initdb` into a temporary folder, a server
/// listening only on a private Unix socket there, stopped and removed in `deinit`.
///
/// The server binaries are the installed ones (`MIG_POSTGRES_BIN`, else those of the major version
/// asked for, else the newest `/usr/lib/postgresql/*/bin`, else the folder of `initdb` on the PATH).
/// `initdb` refuses to run as root, so as root the cluster runs as the unprivileged `postgres` (or
/// `nobody`) user. The server
/// runs without fsync: a shadow is thrown away, so durability buys nothing. A watchdog in a session
/// of its own stops and removes the cluster should mig end without `deinit` (Ctrl-C, SIGKILL).
final class PostgresPrivateCluster {
    private let directory: URL
    private let binaries: URL
    private let user: String?
    /// `postgresql:///postgres?host=…`: the superuser `postgres`, as on a real server (migrations
    /// that `GRANT … TO postgres` or `ALTER … OWNER TO postgres` run here too), trusted on the private socket.
    let url: String

    init(majorVersion: Int? = nil) throws {
        binaries = try Self.findBinaries(majorVersion: majorVersion)
        user = getuid() == 0 ? try Self.unprivilegedUser() : nil
        directory = FileManager.default.temporaryDirectory.appending(path: "mig-shadow-\(UUID().uuidString.prefix(12))")
        let data = directory.appending(path: "data").path
        let socket = directory.appending(path: "socket").path
        url = "postgresql:///postgres?host=\(socket)&user=postgres"
        do {
            try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
            if let user { try Self.give(directory, to: user) }
            try startWatchdog()
            try run(
                "initdb",
                [
                    "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
                    "--no-instructions",
                ])
            try run(
                "pg_ctl",
                [
                    "-D", data, "-l", directory.appending(path: "server.log").path, "-w", "-t", "60", "-o",
                    "-k \(socket) -c listen_addresses= -F -c max_connections=30 -c full_page_writes=off", "start",
                ])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit {
        _ = try? run("pg_ctl", ["-D", directory.appending(path: "data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// The command line that runs one of the server binaries (as the unprivileged user when there is one).
    private func command(_ tool: String, _ arguments: [String]) -> [String] {
        let executable = binaries.appending(path: tool).path
        return (user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]) + arguments
    }

    /// Starts a shell that waits for this process to end, then stops the server and removes the
    /// folder (nothing left to do after a normal `deinit`). Started before `initdb`, so a mig killed
    /// at any point leaves nothing behind; it stops the server twice, two seconds apart, in case mig
    /// died while `pg_ctl start` was still bringing it up. In a new session, so Ctrl-C on mig's
    /// terminal does not reach it.
    private func startWatchdog() throws {
        let quoted = { (word: String) in "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let stop = command("pg_ctl", ["-D", directory.appending(path: "data").path, "-m", "immediate", "-w", "stop"])
        let script = """
            while kill -0 \(getpid()) 2>/dev/null && [ "$(cut -d' ' -f3 /proc/\(getpid())/stat 2>/dev/null)" != Z ]; do
              sleep 1
            done
            [ -d \(quoted(directory.path)) ] || exit 0
            \(stop.map(quoted).joined(separator: " ")) >/dev/null 2>&1
            sleep 2
            \(stop.map(quoted).joined(separator: " ")) >/dev/null 2>&1
            rm -rf \(quoted(directory.path))
            """
        _ = try Self.spawn(["/bin/sh", "-c", script], output: "/dev/null", newSession: true)
    }

    /// Runs one of the server binaries and returns what it printed.
    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        // Output goes to a file, not a pipe: the server that pg_ctl starts inherits the descriptors.
        let outputPath = directory.appending(path: "\(tool).out").path
        let status = Self.waitForExit(of: try Self.spawn(command(tool, arguments), output: outputPath))
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
    private static func spawn(_ command: [String], output: String, newSession: Bool = false) throws -> pid_t {
        closeDescriptorsOnExec()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if newSession { posix_spawnattr_setflags(&attributes, Self.spawnSetsid) }
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, arguments, environ)
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

    /// glibc's `POSIX_SPAWN_SETSID` (`spawn.h`: 0x80), which is declared only for `_GNU_SOURCE` and
    /// so not visible to Swift.
    private static let spawnSetsid: Int16 = 0x80

    /// Waits for `pid` and returns its exit status (128 + the signal when a signal ended it).
    private static func waitForExit(of pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
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
