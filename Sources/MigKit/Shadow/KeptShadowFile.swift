import Foundation

/// The file `mig shadow --keep PATH` writes the shadow database to, and the rules for writing it.
///
/// `PATH` is whatever the user typed, so it may name the project, the migration folder or a
/// development database. mig writes only a regular file: it refuses a directory or a symbolic
/// link, and replaces an existing file only when that file is a shadow mig kept before (marked
/// with SQLite's `application_id`) or the user forces it. It writes a temporary file beside the
/// target and renames it over, so an interrupted run leaves the old file whole.
public struct KeptShadowFile: Sendable {
    /// The `application_id` mig stamps on the shadows it keeps: "mig!" in ASCII.
    public static let applicationID: Int32 = 0x6D69_6721

    /// Why a path cannot take the shadow, each with what to do.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case directory(String)
        case symbolicLink(String)
        case notRegularFile(String)
        case notAKeptShadow(String)
        case missingFolder(String)

        public var description: String {
            switch self {
            case .directory(let path):
                "--keep \(path): it is a directory; name a file to write the shadow database to"
            case .symbolicLink(let path):
                "--keep \(path): it is a symbolic link; name the file itself"
            case .notRegularFile(let path):
                "--keep \(path): it is not a regular file; name a file to write the shadow database to"
            case .notAKeptShadow(let path):
                "--keep \(path): the file exists and is not a shadow database mig kept; "
                    + "choose another path, or pass --force to replace it"
            case .missingFolder(let path):
                "--keep \(path): its folder does not exist"
            }
        }
    }

    /// The absolute path the shadow will be written to.
    public let path: String

    /// Checks `path` before any replay runs, so a refused path costs nothing. `force` allows
    /// replacing an existing regular file that mig did not write; it never allows a directory.
    public init(path: String, force: Bool = false) throws(Refusal) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        let folder = (self.path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .missingFolder(path)
        }
        var status = stat()
        guard lstat(self.path, &status) == 0 else { return }  // nothing there yet
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw .directory(path)
        case S_IFLNK: throw .symbolicLink(path)
        case S_IFREG: if !force && !Self.isKeptShadow(at: self.path) { throw .notAKeptShadow(path) }
        default: throw .notRegularFile(path)
        }
    }

    /// Writes `shadow` to a temporary file beside `path` and renames it over `path`.
    public func write(_ shadow: SQLiteDriver) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(".\(name).mig-\(UUID().uuidString).tmp")
        do {
            try shadow.save(toNewFile: temporary, applicationID: Self.applicationID)
            guard rename(temporary, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Whether the file at `path` is a SQLite database stamped with mig's `application_id`
    /// (bytes 68–71 of the header, big-endian).
    static func isKeptShadow(at path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 72), header.count == 72,
            header.starts(with: Array("SQLite format 3\0".utf8))
        else { return false }
        let stamp = header[68..<72].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Int32(bitPattern: stamp) == applicationID
    }
}
