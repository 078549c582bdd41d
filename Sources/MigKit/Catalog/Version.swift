/// The ordering key of a migration, parsed from its file name.
///
/// Versions compare numerically component by component, so `10` sorts after `9` and
/// `2024.01.15.10` after `2024.01.15.9`; the text is kept as written for file names and output.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The version exactly as it appears in the file name (`0003`, `2024.01.15.1`, `1_2`).
    public let text: String
    /// The numeric components, most significant first.
    public let components: [UInt64]

    /// Parses digits separated by `.` (or `_`, Flyway's separator); `nil` for anything else.
    public init?(_ text: String) {
        var components: [UInt64] = []
        var current: UInt64 = 0
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (shifted, overflowA) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflowA, !overflowB else { return nil }
                current = sum
                digits += 1
            case UInt8(ascii: "."), UInt8(ascii: "_"):
                guard digits > 0 else { return nil }
                components.append(current)
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        components.append(current)
        self.text = text
        self.components = components
    }

    /// The versioning scheme this version looks like it was written in.
    public var scheme: VersioningScheme {
        if components.count == 4, text.contains(".") { return .hybrid }
        if components.count == 1, text.count == 14 { return .timestamp }
        return .sequential
    }

    public var description: String { text }

    public static func == (lhs: Version, rhs: Version) -> Bool { lhs.components == rhs.components }
    public func hash(into hasher: inout Hasher) { hasher.combine(components) }

    public static func < (lhs: Version, rhs: Version) -> Bool {
        for (left, right) in zip(lhs.components, rhs.components) where left != right {
            return left < right
        }
        return lhs.components.count < rhs.components.count
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = Version(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version: \(text)"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// How new versions are chosen by `mig new` (and `mig fix`).
public enum VersioningScheme: String, Sendable, CaseIterable, Codable {
    /// `20240115120000`: UTC time to the second.
    case timestamp
    /// `0003`: zero-padded, highest + 1.
    case sequential
    /// `2024.01.15.1`: the date plus a per-day counter.
    case hybrid
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
