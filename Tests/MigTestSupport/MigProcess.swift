import Foundation

/// Runs the built `mig` binary the way a user does and captures what it printed.
public struct MigProcess {
    public typealias Result = ChildProcess.Result

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
        var merged = ProcessInfo.processInfo.environment
        merged["NO_COLOR"] = "1"
        merged.removeValue(forKey: "DATABASE_URL")
        merged.removeValue(forKey: "MIG_DATABASE_URL")
        for (key, value) in environment { merged[key] = value }
        return try ChildProcess.run(binary, arguments, in: directory, environment: merged, input: input)
    }
}
