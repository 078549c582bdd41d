import Foundation

/// A PostgreSQL cluster of mig's own for shadow replays: `initdb` into a temporary folder, a server
/// listening only on a private Unix socket there, stopped and removed in `deinit`.
///
/// The server binaries are the installed ones (`MIG_POSTGRES_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`'s folder on the PATH). `initdb` refuses to
/// run as root, so as root the cluster runs as the unprivileged `postgres` (or `nobody`) user. The
/// server runs without fsync: a shadow is thrown away, so durability buys nothing.
final class PostgresPrivateCluster {
    private let directory: URL
    private let binaries: URL
    private let user: String?
    /// `postgresql:///postgres?host=…`: the superuser `mig`, trusted on the private socket.
    let url: String

    init() throws {
        binaries = try Self.findBinaries()
        user = getuid() == 0 ? try Self.unprivilegedUser() : nil
        directory = FileManager.default.temporaryDirectory.appending(path: "mig-shadow-\(UUID().uuidString.prefix(12))")
        let data = directory.appending(path: "data").path
        let socket = directory.appending(path: "socket").path
        url = "postgresql:///postgres?host=\(socket)&user=mig"
        do {
            try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
            if let user { try Self.give(directory, to: user) }
            try run(
                "initdb",
                [
                    "-D", data, "-U", "mig", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
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

    /// Runs one of the server binaries (as the unprivileged user when there is one).
    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let executable = binaries.appending(path: tool).path
        let command = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        // Output goes to a file, not a pipe: the server that pg_ctl starts inherits the descriptors.
        let outputPath = directory.appending(path: "\(tool).out").path
        let status = try Self.spawnAndWait(command + arguments, output: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw DatabaseError(
                message: "\(tool) failed while starting the PostgreSQL shadow cluster: \(text.trimmingWhitespace())",
                hint: "or give a server to create shadow databases on: --shadow-url or [shadow] url")
        }
        return text
    }

    /// Runs `command` with stdin from /dev/null and stdout and stderr into `output`, and returns its
    /// exit status. Not Foundation's `Process`: on Linux it learns of the child's exit through a
    /// descriptor the child inherits, which the daemon pg_ctl starts would inherit too and hold open,
    /// so waiting for pg_ctl would never end.
    private static func spawnAndWait(_ command: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
        guard spawned == 0 else {
            throw DatabaseError(
                message: "cannot run \(command[0]) for the PostgreSQL shadow: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private static func findBinaries() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["MIG_POSTGRES_BIN"] { return URL(fileURLWithPath: folder) }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
            .sorted()
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
