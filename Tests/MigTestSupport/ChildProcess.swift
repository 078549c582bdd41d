import Foundation

/// A program run to its end with what it printed: the one way tests start `mig`, `sqlite3`, `psql`
/// and the other programs they compare with.
///
/// Standard input is written, and standard error read, on threads of their own while standard
/// output is read here, so a child that prints much to either stream never blocks on a full pipe.
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

    /// Runs `executable arguments…`, in `directory` when given, with `environment` instead of this
    /// process's when given, and `input` (then end of file) as its standard input, or none.
    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> Result {
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
                stdin.fileHandleForWriting.write(Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }.start()
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

    /// Standard error's bytes, written by the reading thread before it signals and read after.
    private final class ErrorText: @unchecked Sendable {
        var data = Data()
    }
}
