import Foundation

/// A temporary folder of one test's own, removed when the value is released.
public final class ScratchDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "mig-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    private var immutableFiles: [String] = []

    deinit {
        for path in immutableFiles { try? Self.chattr("-i", path) }
        try? FileManager.default.removeItem(at: url)
    }

    /// Makes the file at `path` unwritable: mode 0444, and for root (whom modes do not stop) also
    /// the immutable attribute (`chattr +i`), removed again when the scratch folder goes.
    public func makeReadOnly(_ path: String) throws {
        let file = url.appending(path: path).path
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: file)
        if getuid() == 0 {
            try Self.chattr("+i", file)
            immutableFiles.append(file)
        }
    }

    private static func chattr(_ flag: String, _ file: String) throws {
        let result = try ChildProcess.run(URL(fileURLWithPath: "/usr/bin/chattr"), [flag, file])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: file])
        }
    }

    /// Writes `text` (or raw bytes) at `path`, creating folders on the way.
    @discardableResult
    public func write(_ path: String, _ text: String) throws -> URL {
        try write(path, bytes: Array(text.utf8))
    }

    @discardableResult
    public func write(_ path: String, bytes: [UInt8]) throws -> URL {
        let file = url.appending(path: path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOf: url.appending(path: path), encoding: .utf8)
    }

    public func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: url.appending(path: path).path)
    }
}
