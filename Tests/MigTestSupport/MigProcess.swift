import Foundation

/// Runs the built `mig` binary the way a user does and captures what it printed.
public struct MigProcess {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `mig` built next to this test bundle (or `MIG_BINARY` when set).
    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["MIG_BINARY"] { return URL(fileURLWithPath: path) }
        var folder = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: folder.appending(path: "mig").path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        return folder.appending(path: "mig")
    }

    /// Runs `mig arguments…` in `directory` with `NO_COLOR` set and the given extra environment;
    /// with `input`, that text is its standard input (then end of file).
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], binary: URL = binary,
        input: String? = nil
    ) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var merged = ProcessInfo.processInfo.environment
        merged["NO_COLOR"] = "1"
        merged.removeValue(forKey: "DATABASE_URL")
        merged.removeValue(forKey: "MIG_DATABASE_URL")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        // Read both pipes before waiting, so a large output cannot fill a pipe and block the child.
        let stdoutData = output.fileHandleForReading.readDataToEndOfFile()
        let stderrData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
