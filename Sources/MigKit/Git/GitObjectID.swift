internal import CGit2

/// The id of a Git object (commit, tree or blob), as a small value that can be hashed,
/// compared and sent across threads without touching libgit2.
///
/// Stored as three integers rather than a hex string: a history walk builds one per commit,
/// and a 20-byte value keeps that cheap.
public struct GitObjectID: Sendable, Hashable, CustomStringConvertible, Codable {
    private let high: UInt64
    private let middle: UInt64
    private let low: UInt32

    init(_ oid: git_oid) {
        var copy = oid
        (high, middle, low) = withUnsafeBytes(of: &copy.id) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        }
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The libgit2 form, for calls that take an id.
    var oid: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { raw in
            raw.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: middle, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: low, toByteOffset: 16, as: UInt32.self)
        }
        return oid
    }

    /// The full 40-character hex id.
    public var hex: String {
        var value = oid
        var characters = [CChar](repeating: 0, count: 40)
        git_oid_fmt(&characters, &value)
        return String(decoding: characters.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first 10 characters, enough to name a commit to people.
    public var short: String { String(hex.prefix(10)) }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        var oid = git_oid()
        guard text.count == 40, git_oid_fromstr(&oid, text) == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an object id: \(text)"))
        }
        self.init(oid)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
