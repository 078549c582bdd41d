import Foundation

/// Where a migration directory's files come from: the file system, or a tree in Git history.
///
/// The catalog reads through this so that the same parsing serves the working tree and any
/// commit without checking it out.
public protocol MigrationSource {
    /// Every file below the migration directory, as `/`-separated paths relative to it.
    /// Hidden files and folders (starting with `.`) are left out.
    func filePaths() throws -> [String]
    /// The raw bytes of one file named by `filePaths()`.
    func contents(of path: String) throws -> [UInt8]
    /// The path to show people for a file: relative to the project root.
    func displayPath(of path: String) -> String
    /// Why the entry at `path` cannot be read as a file at all (a link to a folder), if it cannot.
    func problem(with path: String) -> String?
}

extension MigrationSource {
    public func problem(with path: String) -> String? { nil }
}

/// A migration directory on disk.
public struct DirectorySource: MigrationSource {
    public let directory: URL
    /// The directory's path relative to the project root, prefixed to displayed paths.
    public let displayPrefix: String

    public init(directory: URL, displayPrefix: String) {
        self.directory = directory
        self.displayPrefix = displayPrefix
    }

    public func filePaths() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            return []
        }
        guard isDirectory.boolValue else { throw CatalogError.notADirectory(directory.path) }
        var paths: [String] = []
        try collect(relative: "", into: &paths)
        return paths.sorted()
    }

    private func collect(relative: String, into paths: inout [String]) throws {
        let folder = relative.isEmpty ? directory : directory.appending(path: relative)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw CatalogError.unreadable(path: displayPath(of: relative), reason: error.localizedDescription)
        }
        for name in names where !name.hasPrefix(".") {
            let path = relative.isEmpty ? name : relative + "/" + name
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(
                atPath: directory.appending(path: path).path, isDirectory: &isDirectory)
            // A link to a folder is listed, never followed: `0005_selfdir -> .` would repeat the tree forever.
            if exists, isDirectory.boolValue, !isLink(path) {
                try collect(relative: path, into: &paths)
            } else {
                paths.append(path)
            }
        }
    }

    private func isLink(_ path: String) -> Bool {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appending(path: path).path)
        return attributes?[.type] as? FileAttributeType == .typeSymbolicLink
    }

    public func problem(with path: String) -> String? {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory.appending(path: path).path, isDirectory: &isDirectory)
        // A plain file (the common case) needs no second look; only folders and dangling entries can be links.
        guard !exists || isDirectory.boolValue, isLink(path) else { return nil }
        guard exists else { return "is a symbolic link to something that does not exist" }
        return "is a symbolic link to a folder: mig does not follow links to folders "
            + "(one that points back up would repeat the tree forever)"
    }

    public func contents(of path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appending(path: path).path) else {
            throw CatalogError.unreadable(path: displayPath(of: path), reason: "the file cannot be read")
        }
        return Array(data)
    }

    public func displayPath(of path: String) -> String {
        displayPrefix.isEmpty || displayPrefix == "." ? path : displayPrefix + "/" + path
    }
}

/// Failures to read a migration directory at all (as opposed to findings about its files).
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    case notADirectory(String)
    case unreadable(path: String, reason: String)
    /// The configured migration directory does not exist.
    case missingDirectory(String)

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            "the migration directory \(path) does not exist: create it (`mig new` does), or point [migrations] dir in "
                + ".migrate/config.toml at the migration folder"
        case .notADirectory(let path):
            "\(path) is not a directory: point [migrations] dir in .migrate/config.toml at the migration folder"
        case .unreadable(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
