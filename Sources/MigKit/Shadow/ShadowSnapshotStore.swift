import Crypto
import Foundation

/// Where one engine keeps the snapshots of `ShadowSnapshotCache`: SQLite images in files
/// (`ShadowImageFiles`), PostgreSQL template databases on the shadow server
/// (`PostgresSnapshotTemplates`). The cache decides which prefixes get a snapshot and which one a
/// replay starts from; a store only keeps them, bounded, and gives them back — never a torn or
/// damaged one.
public protocol ShadowSnapshotStore: AnyObject {
    /// The dialect of the databases it keeps (part of every snapshot key).
    var dialect: Dialect { get }
    /// Whether a snapshot for `key` is kept (it may still turn out damaged when opened).
    func contains(_ key: String) -> Bool
    /// A shadow database holding snapshot `key`, made with `makeDatabase` where the engine
    /// restores into a fresh one; `nil` when none is kept. A damaged snapshot is removed and throws
    /// `ShadowSnapshotDamage`, whose message says what was ignored.
    func open(_ key: String, makeDatabase: ShadowDatabaseFactory) throws(ShadowSnapshotDamage) -> (any DatabaseDriver)?
    /// Keeps `database`'s content as snapshot `key`, then evicts the oldest snapshots beyond the
    /// store's bound. A snapshot that cannot be kept only makes a later run slower, so failures are
    /// not reported.
    func keep(_ database: any DatabaseDriver, as key: String)
    /// What the store has to say once about itself (e.g. that it could not use its kept place).
    func takeNotes() -> [String]
}

/// A snapshot that was kept but cannot be trusted, and was removed.
public struct ShadowSnapshotDamage: Error, Sendable {
    public let message: String
}

/// SQLite snapshots: a file per snapshot in the cache folder, holding a header, the SHA-256 of the
/// image and the database image (`sqlite3_serialize`). Written to a temporary name and renamed, so
/// a reader never sees half a file; a file whose digest does not match is removed, never restored.
/// Bounded in bytes: the least recently used files go first.
public final class ShadowImageFiles: ShadowSnapshotStore {
    /// Bumped whenever the file layout changes, so old files are not read.
    static let format = ShadowSnapshotCache.format
    static let magic = Array("mig shadow snapshot \(format)\n".utf8)

    public let folder: URL
    /// The most bytes the snapshots may take.
    public let byteLimit: Int
    public let dialect: Dialect

    public init(folder: URL, byteLimit: Int, dialect: Dialect = .sqlite) {
        self.folder = folder
        self.byteLimit = byteLimit
        self.dialect = dialect
    }

    public func contains(_ key: String) -> Bool {
        FileManager.default.fileExists(atPath: file(key).path)
    }

    public func open(_ key: String, makeDatabase: ShadowDatabaseFactory) throws(ShadowSnapshotDamage)
        -> (any DatabaseDriver)?
    {
        let file = file(key)
        guard let contents = FileManager.default.contents(atPath: file.path) else { return nil }
        guard let image = Self.payload(of: contents), let database = try? makeDatabase(),
            (try? database.restore(image: image)) == true
        else {
            try? FileManager.default.removeItem(at: file)
            throw ShadowSnapshotDamage(
                message: "ignored a damaged shadow snapshot (\(file.lastPathComponent)); "
                    + "replaying those migrations instead")
        }
        // Marks it used now, so eviction removes the least recently used first.
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file.path)
        return database
    }

    public func keep(_ database: any DatabaseDriver, as key: String) {
        guard let image = try? database.image() else { return }
        var contents = Data(Self.magic)
        contents.append(contentsOf: SHA256.hash(data: image))
        contents.append(image)
        ShadowSnapshotCache.write(contents, to: file(key), in: folder)
        prune()
    }

    public func takeNotes() -> [String] { [] }

    private func file(_ key: String) -> URL { folder.appending(path: "shadow-v\(Self.format)-\(key).db") }

    /// The image inside a snapshot file (the header, the image's SHA-256, the image), or `nil`
    /// when the header or the digest does not match.
    static func payload(of contents: Data) -> Data? {
        let digestStart = contents.startIndex + magic.count
        let imageStart = digestStart + SHA256.byteCount
        guard contents.count > imageStart - contents.startIndex, contents.starts(with: magic) else { return nil }
        let image = contents[imageStart...]
        guard SHA256.hash(data: image).elementsEqual(contents[digestStart..<imageStart]) else { return nil }
        return image
    }

    /// Removes the least recently used shadow files until the snapshots fit in `byteLimit`.
    private func prune() {
        let keys: [URLResourceKey] = [.contentModificationDateKey, .fileSizeKey]
        guard
            let entries = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: keys)
        else { return }
        let files = entries.filter { $0.lastPathComponent.hasPrefix("shadow-") }.map { url in
            let values = try? url.resourceValues(forKeys: Set(keys))
            return (url, values?.contentModificationDate ?? .distantPast, values?.fileSize ?? 0)
        }
        var total = files.reduce(0) { $0 + $1.2 }
        for (url, _, size) in files.sorted(by: { $0.1 < $1.1 }) where total > byteLimit {
            try? FileManager.default.removeItem(at: url)
            total -= size
        }
    }
}
