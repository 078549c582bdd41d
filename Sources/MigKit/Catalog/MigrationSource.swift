import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin
    private let systemRead = Darwin.read
#endif

/// Where a migration directory's files come from: the file system, or a tree in Git history.
///
/// The catalog reads through this so that the same parsing serves the working tree and any
/// commit without checking it out.
public protocol MigrationSource {
    /// Every entry below the migration directory, sorted by path. Hidden files and folders
    /// (starting with `.`) are left out.
    func files() throws -> [SourceFile]
    /// The raw bytes of one file named by `files()`.
    func contents(of path: String) throws -> [UInt8]
    /// The path to show people for a file: relative to the project root.
    func displayPath(of path: String) -> String
    /// Whether `contents(of:)` may be called from several threads at once.
    var readsConcurrently: Bool { get }
}

extension MigrationSource {
    public var readsConcurrently: Bool { false }

    /// The paths of `files()`.
    public func filePaths() throws -> [String] { try files().map(\.path) }
}

/// One entry of a migration directory, and why it cannot be read as a file at all (a link to a
/// folder, a submodule), when it cannot: found while listing, so a folder of plain files needs
/// no second look at each.
public struct SourceFile: Sendable, Equatable {
    /// `/`-separated, relative to the migration directory.
    public let path: String
    public let problem: String?

    public init(path: String, problem: String? = nil) {
        self.path = path
        self.problem = problem
    }

    static let nameNotUTF8 = "its name is not valid UTF-8, so mig cannot open it: rename it"
}

/// A migration directory on disk, listed and read with POSIX calls: a listing needs no `stat` for
/// the plain files and folders that `readdir` already names, which matters in folders of thousands.
public struct DirectorySource: MigrationSource {
    public let directory: URL
    /// The directory's path relative to the project root, prefixed to displayed paths.
    public let displayPrefix: String
    private let root: String

    public init(directory: URL, displayPrefix: String) {
        self.directory = directory
        self.displayPrefix = displayPrefix
        self.root = directory.path
    }

    public func files() throws -> [SourceFile] {
        guard let kind = FileKind(atPath: root, followingLinks: true) else { return [] }
        guard kind == .directory else { throw CatalogError.notADirectory(root) }
        var files: [SourceFile] = []
        try collect(relative: "", into: &files)
        return files.sorted(byPath: \.path)
    }

    private func collect(relative: String, into files: inout [SourceFile]) throws {
        guard let folder = opendir(relative.isEmpty ? root : absolutePath(relative)) else {
            throw CatalogError.unreadable(path: displayPath(of: relative), reason: String(cString: strerror(errno)))
        }
        defer { closedir(folder) }
        while true {
            errno = 0
            guard let entry = readdir(folder) else {
                // The end of the folder, or a failure to read it: never a listing cut short in silence.
                guard errno == 0 else {
                    throw CatalogError.unreadable(path: displayPath(of: relative), reason: String(cString: strerror(errno)))
                }
                break
            }
            let (name, validName) = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                let characters = bytes.bindMemory(to: CChar.self).baseAddress!
                return (String(cString: characters), String(validatingCString: characters) != nil)
            }
            guard !name.hasPrefix(".") else { continue }
            let path = relative.isEmpty ? name : relative + "/" + name
            guard validName else {
                files.append(SourceFile(path: path, problem: SourceFile.nameNotUTF8))
                continue
            }
            let kind: FileKind? =
                switch Int(entry.pointee.d_type) {
                case Int(DT_DIR): .directory
                case Int(DT_LNK): .link
                case Int(DT_UNKNOWN): FileKind(atPath: absolutePath(path), followingLinks: false)
                default: .other
                }
            switch kind {
            case .directory where FileKind(atPath: absolutePath(path) + "/.git", followingLinks: false) != nil:
                files.append(SourceFile(path: path, problem: Self.submodule))
            case .directory: try collect(relative: path, into: &files)
            // A link to a folder is listed, never followed: `0005_selfdir -> .` would repeat the tree forever.
            case .link: files.append(SourceFile(path: path, problem: linkProblem(absolutePath(path))))
            case .other, nil: files.append(SourceFile(path: path))
            }
        }
    }

    static let submodule =
        "is a Git submodule (it holds its own .git): its files live in another repository, which mig does not read"

    private func linkProblem(_ link: String) -> String? {
        switch FileKind(atPath: link, followingLinks: true) {
        case nil: "is a symbolic link to something that does not exist"
        case .directory:
            "is a symbolic link to a folder: mig does not follow links to folders "
                + "(one that points back up would repeat the tree forever)"
        case .link, .other: nil
        }
    }

    public func contents(of path: String) throws -> [UInt8] {
        do {
            return try FileBytes.read(atPath: absolutePath(path))
        } catch {
            throw CatalogError.unreadable(path: displayPath(of: path), reason: error.reason)
        }
    }

    public func displayPath(of path: String) -> String {
        displayPrefix.isEmpty || displayPrefix == "." ? path : displayPrefix + "/" + path
    }

    private func absolutePath(_ path: String) -> String { root + "/" + path }

    /// Plain POSIX reads share nothing.
    public var readsConcurrently: Bool { true }
}

/// What a path names, from `stat` or `lstat`.
enum FileKind: Equatable {
    case directory, link, other

    /// `nil` when nothing is there (or, following links, a link points nowhere).
    init?(atPath path: String, followingLinks: Bool) {
        var status = stat()
        guard (followingLinks ? stat(path, &status) : lstat(path, &status)) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .link
        default: self = .other
        }
    }
}

/// A whole file's bytes, read with `open` and `read` (no `Data` in between).
enum FileBytes {
    /// Why a file could not be read, in words for a finding.
    struct Failure: Error {
        let reason: String
    }

    /// Only a regular file is read: a named pipe (even one a link points to) would wait for a
    /// writer forever, so it is opened without waiting and refused.
    static func read(atPath path: String) throws(Failure) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw Failure(reason: "it is not a regular file (a named pipe, socket or device): mig reads only files")
        }
        var bytes: [UInt8] = []
        let complete = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 16) { chunk in
            while true {
                let count = systemRead(descriptor, chunk.baseAddress, chunk.count)
                if count == 0 { return true }
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                bytes.append(contentsOf: chunk[..<count])
            }
        }
        guard complete else { throw Failure(reason: String(cString: strerror(errno))) }
        return bytes
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
