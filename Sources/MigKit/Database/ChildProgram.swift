import Foundation

/// Runs a program mig needs (`pg_dump`, `psql`, PostgreSQL's server tools) with `posix_spawn`.
///
/// Not Foundation's `Process`: on Linux its `run()` reads `/proc/self/fd` in a way that can read
/// past a buffer and crash the calling process now and then (swift-corelibs-foundation #5472,
/// in Swift 6.3), and a crash half-way through `mig up` is not acceptable.
enum ChildProgram {
    /// Runs `program arguments…` with exactly `environment`, standard input from /dev/null,
    /// standard output into `output` and standard error into `errors` (created, or emptied,
    /// readable by this user only; one file for both when they are the same); returns its exit
    /// status.
    static func run(
        _ program: URL, _ arguments: [String], environment: [String: String], output: URL, errors: URL
    ) throws(DatabaseError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let writing = O_WRONLY | O_CREAT | O_TRUNC
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, writing, 0o600)
        if errors == output {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, errors.path, writing, 0o600)
        }
        // None of mig's own descriptors (the migration lock, database connections) go to the child.
        _ = spawnClosesDescriptors(&actions, from: 3)
        let argv = ([program.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var attributes = SpawnAttributes(newSession: false)
        defer { attributes.release() }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program.path, &actions, &attributes.value, argv, envp)
        guard spawned == 0 else {
            throw DatabaseError(message: "cannot run \(program.path): \(String(cString: strerror(spawned)))")
        }
        return waitForExit(of: pid)
    }

    /// Waits for `pid` and returns its exit status (128 + the signal when a signal ended it).
    static func waitForExit(of pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// What every program mig starts gets besides its files: the default disposition of `SIGPIPE`
/// (mig itself ignores it, so that a reader closing mig's output cannot stop a migration half-way;
/// a child would inherit that), and, when asked, a session of its own.
struct SpawnAttributes {
    var value = posix_spawnattr_t()

    init(newSession: Bool) {
        posix_spawnattr_init(&value)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&value, &defaults)
        // glibc's POSIX_SPAWN_SETSID (`spawn.h`: 0x80) is declared only for `_GNU_SOURCE`, so not visible to Swift.
        posix_spawnattr_setflags(&value, Int16(POSIX_SPAWN_SETSIGDEF) | (newSession ? 0x80 : 0))
    }

    mutating func release() { posix_spawnattr_destroy(&value) }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), declared only for
/// `_GNU_SOURCE` and so not visible to Swift: the child closes every descriptor from `from` on.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
func spawnClosesDescriptors(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, from: Int32
) -> Int32
