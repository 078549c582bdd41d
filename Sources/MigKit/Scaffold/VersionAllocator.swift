import Foundation

/// Chooses the next version for a new migration in the configured scheme.
public struct VersionAllocator: Sendable {
    public let scheme: VersioningScheme

    public init(scheme: VersioningScheme) {
        self.scheme = scheme
    }

    /// The version a new migration gets, given the versions in use and the current time.
    ///
    /// - timestamp: `now` in UTC as `YYYYMMDDHHMMSS`, moved on a second at a time past any taken
    ///   one and past the newest existing version;
    /// - sequential: highest + 1, zero-padded to the width in use (4 by default);
    /// - hybrid: `YYYY.MM.DD.N` with today's date and the next counter of the day.
    public func next(after existing: [Version], now: Date) -> Version {
        switch scheme {
        case .timestamp: nextTimestamp(after: existing, now: now)
        case .sequential: nextSequential(after: existing)
        case .hybrid: nextHybrid(after: existing, now: now)
        }
    }

    private func nextTimestamp(after existing: [Version], now: Date) -> Version {
        let taken = Set(existing)
        var candidate = now
        if let newest = existing.max(), let newestDate = Self.date(fromTimestamp: newest.text), newestDate >= candidate {
            candidate = newestDate.addingTimeInterval(1)
        }
        while taken.contains(Version(Self.timestamp(candidate))!) {
            candidate = candidate.addingTimeInterval(1)
        }
        return Version(Self.timestamp(candidate))!
    }

    private func nextSequential(after existing: [Version]) -> Version {
        let newest = existing.filter { $0.components.count == 1 }.max()
        let next = (newest?.components[0] ?? 0) + 1
        let width = max(newest?.text.count ?? 4, 1)
        let digits = String(next)
        return Version(String(repeating: "0", count: max(0, width - digits.count)) + digits)!
    }

    private func nextHybrid(after existing: [Version], now: Date) -> Version {
        let day = Self.utc.dateComponents([.year, .month, .day], from: now)
        let prefix = [UInt64(day.year!), UInt64(day.month!), UInt64(day.day!)]
        let counter = existing.filter { Array($0.components.prefix(3)) == prefix && $0.components.count == 4 }
            .map { $0.components[3] }.max() ?? 0
        let text = String(format: "%04d.%02d.%02d.%llu", day.year!, day.month!, day.day!, counter + 1)
        return Version(text)!
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func timestamp(_ date: Date) -> String {
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02d%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    static func date(fromTimestamp text: String) -> Date? {
        guard text.count == 14, text.allSatisfy(\.isASCIIDigit) else { return nil }
        let digits = Array(text)
        func number(_ range: Range<Int>) -> Int { Int(String(digits[range]))! }
        let components = DateComponents(
            year: number(0..<4), month: number(4..<6), day: number(6..<8),
            hour: number(8..<10), minute: number(10..<12), second: number(12..<14))
        return utc.date(from: components)
    }
}
