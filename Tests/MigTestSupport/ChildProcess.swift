import Foundation

/// A program run to its end with what it printed: the one way tests start `mig`, `sqlite3`, `psql`
/// and the other programs they compare with.
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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            Thread {
                // A child that exits without reading its input makes this write fail (EPIPE): not our error.
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }.start()
        }
        let watchdog = Watchdog(process)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(limit / .milliseconds(1)))) {
            watchdog.fire()
        }
        let errorText = ErrorText()
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            errorText.data = errors.fileHandleForReading.readDataToEndOfFile()
            errorsRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        if watchdog.fired { throw Timeout(program: executable.lastPathComponent, limit: limit) }
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorText.data, as: UTF8.self))
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
    private final class Watchdog: @unchecked Sendable {
        private let process: Process
        private let lock = NSLock()
        private var killed = false

        init(_ process: Process) { self.process = process }

        func fire() {
            lock.withLock {
                guard process.isRunning else { return }
                killed = true
                kill(process.processIdentifier, SIGKILL)
            }
        }

        var fired: Bool { lock.withLock { killed } }
    }

    /// Standard error's bytes, written by the reading thread before it signals and read after.
    private final class ErrorText: @unchecked Sendable {
        var data = Data()
    }
}
