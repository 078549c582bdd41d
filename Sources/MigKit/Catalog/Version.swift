import Foundation

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
        // A byte search: Foundation's `contains` on a string converts it to UTF-16 first.
        if text.containsByte(UInt8(ascii: "-")) {
            guard let dashed = Version(dashedTimestamp: text) else { return nil }
            self = dashed
            return
        }
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

    /// diesel's folder prefix `2019-02-26-002946`: the digits with the dashes removed form one
    /// number (diesel's `version_from_string` drops every `-`), and the text stays as written.
    public init?(dashedTimestamp text: String) {
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}/) != nil,
            let number = Version(String(text.filter(\.isASCIIDigit)))
        else { return nil }
        self.text = text
        self.components = number.components
    }

    /// The digits of a one-number version (`20240115120000`, or diesel's dashed form without its
    /// dashes); `nil` for versions of several parts.
    public var digits: String? {
        guard components.count == 1 else { return nil }
        return text.filter(\.isASCIIDigit)
    }

    /// The versioning scheme this version looks like it was written in. A one-number version
    /// that reads as a UTC time, `YYYYMMDDHHMMSS` or `YYYYMMDDHHMM` (as goose decides), is a timestamp.
    public var scheme: VersioningScheme {
        if components.count == 4, text.contains(".") { return .hybrid }
        if let digits, TimestampFormat.date(from: digits) != nil { return .timestamp }
        return .sequential
    }

    /// Whether this looks like a timestamp with a digit too many or too few (`2024011512000`,
    /// `202401151200000`): a typo that would sort far from where its author meant it to.
    public var looksLikeMistypedTimestamp: Bool {
        // Fewer than 13 digit bytes, fewer than 13 digits: most versions stop here, cheaply.
        guard text.utf8.count(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) >= 13,
            let digits, digits.count == 13 || digits.count == 15
        else { return false }
        return TimestampFormat.date(from: String(digits.prefix(8)) + "000000") != nil
    }

    /// The components without trailing zero parts (`1.0.0` → `1`, `0` stays `0`): how Flyway's
    /// `MigrationVersion` compares versions, so `1`, `1.0` and `1_0` are one version to it.
    public var withoutTrailingZeros: [UInt64] {
        var parts = components
        while parts.count > 1, parts.last == 0 { parts.removeLast() }
        return parts
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

/// The UTC time stamps that timestamp versions are made of: `YYYYMMDDHHMMSS`.
enum TimestampFormat {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// `date` as `YYYYMMDDHHMMSS` in UTC.
    static func text(_ date: Date) -> String {
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02d%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
            parts.second!)
    }

    /// The time that 14 digits (`YYYYMMDDHHMMSS`) or 12 (`YYYYMMDDHHMM`) name, when it is a real
    /// time after 1970; `nil` for anything else.
    static func date(from digits: String) -> Date? {
        guard digits.count == 14 || digits.count == 12, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        let numbers = Array(digits)
        func number(_ range: Range<Int>) -> Int { Int(String(numbers[range]))! }
        let year = number(0..<4)
        let month = number(4..<6)
        let day = number(6..<8)
        let hour = number(8..<10)
        let minute = number(10..<12)
        let second = digits.count == 14 ? number(12..<14) : 0
        guard year >= 1970, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60,
            let date = utc.date(
                from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)),
            utc.component(.day, from: date) == day
        else { return nil }
        return date
    }

    /// diesel's form of a 14-digit time stamp: `2026-12-02-025501`.
    static func dashed(_ digits: String) -> String {
        let characters = Array(digits)
        return String(characters[0..<4]) + "-" + String(characters[4..<6]) + "-" + String(characters[6..<8]) + "-"
            + String(characters[8...])
    }
}

extension Character {
    /// `isASCII && isWholeNumber`, without the Unicode property lookup an ASCII digit does not need.
    var isASCIIDigit: Bool { asciiValue.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
}
