import Foundation

/// A program run to its end with what it printed: the one way tests start `mig`, `sqlite3`, `psql`
/// and the other programs they compare with. Started with `posix_spawn`, not Foundation's
/// `Process`, whose `run()` can crash the test process on Linux (swift-corelibs-foundation #5472).
///
/// Standard input is written, and standard error read, on threads of their own while standard
/// output is read here, so a child that prints much to either stream never blocks on a full pipe.
/// A child that outlives its time limit is killed and the call throws, so no test hangs the suite.
public enum ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// A program that exited with a status other than 0, with what it printed on standard error.
    public struct Failure: Error, CustomStringConvertible {
        public let program: String
        public let result: Result
        public var description: String {
            "\(program) exited \(result.status): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }

    /// A child killed because it ran longer than its time limit.
    public struct Timeout: Error, CustomStringConvertible {
        public let program: String
        public let limit: Duration
        public var description: String { "\(program) ran longer than \(limit) and was killed" }
    }

    /// How long a child may run unless the caller says otherwise.
    public static let defaultLimit: Duration = .seconds(600)

    /// Runs `executable arguments…`, in `directory` when given, with `environment` instead of this
    /// process's when given, and `input` (then end of file) as its standard input, or none; kills it
    /// and throws `Timeout` when it runs longer than `limit`.
    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
        input: String? = nil, limit: Duration = defaultLimit
    ) throws -> Result {
        ignoreBrokenPipes
        let stdin = try pipe(), stdout = try pipe(), stderr = try pipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin.read, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.write, 2)
        // Nothing else of this process's: a file another test is writing stays closable (ETXTBSY).
        _ = spawnClosesDescriptors(&actions, from: 3)
        // The child gets SIGPIPE's default back (this process ignores it).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        // `env -C` enters the folder: glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift.
        let command = directory.map { ["/usr/bin/env", "-C", $0.path, executable.path] } ?? [executable.path]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        let variables = environment ?? ProcessInfo.processInfo.environment
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        for descriptor in [stdin.read, stdout.write, stderr.write] { close(descriptor) }
        guard spawned == 0 else {
            for descriptor in [stdin.write, stdout.read, stderr.read] { close(descriptor) }
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
        }
        let writer = FileHandle(fileDescriptor: stdin.write, closeOnDealloc: true)
        if let input {
            Thread {
                // A child that exits without reading its input makes this write fail (EPIPE): not our error.
                try? writer.write(contentsOf: Data(input.utf8))
                try? writer.close()
            }.start()
        } else {
            try? writer.close()
        }
        let watchdog = Watchdog(pid)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(limit / .milliseconds(1)))) {
            watchdog.fire()
        }
        let errorText = ErrorText()
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            errorText.data = FileHandle(fileDescriptor: stderr.read, closeOnDealloc: true).readDataToEndOfFile()
            errorsRead.signal()
        }.start()
        let outputData = FileHandle(fileDescriptor: stdout.read, closeOnDealloc: true).readDataToEndOfFile()
        errorsRead.wait()
        let status = watchdog.waitForExit()
        if watchdog.fired { throw Timeout(program: executable.lastPathComponent, limit: limit) }
        return Result(
            status: status, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorText.data, as: UTF8.self))
    }

    /// A pipe whose two ends are closed in every child but where `posix_spawn` puts them.
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // pipe2(O_CLOEXEC) is not visible to Swift; a spawn in between can only delay an end of file.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Like `run`, but a status other than 0 throws `Failure`; returns standard output.
    @discardableResult
    public static func output(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> String {
        let result = try run(executable, arguments, in: directory, environment: environment, input: input)
        guard result.status == 0 else { throw Failure(program: executable.lastPathComponent, result: result) }
        return result.stdout
    }

    /// Writing to a child that has exited raises SIGPIPE, which would end the whole test run.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Kills the child when the time limit passes while it still runs, and remembers that it did.
    /// The child is reaped only under the lock, after it has exited, so the kill can never reach
    /// another process that got its number.
    private final class Watchdog: @unchecked Sendable {
        private let pid: pid_t
        private let lock = NSLock()
        private var killed = false
        private var reaped = false

        init(_ pid: pid_t) { self.pid = pid }

        func fire() {
            lock.withLock {
                guard !reaped else { return }
                killed = true
                kill(pid, SIGKILL)
            }
        }

        var fired: Bool { lock.withLock { killed } }

        /// Waits for the child to end, then reaps it; its exit status (128 + a signal's number).
        func waitForExit() -> Int32 {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
            return lock.withLock {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                reaped = true
                // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
        }
    }

    /// Standard error's bytes, written by the reading thread before it signals and read after.
    private final class ErrorText: @unchecked Sendable {
        var data = Data()
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), declared only for
/// `_GNU_SOURCE` and so not visible to Swift: the child closes every descriptor from `from` on.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnClosesDescriptors(
    _ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, from: Int32
) -> Int32
