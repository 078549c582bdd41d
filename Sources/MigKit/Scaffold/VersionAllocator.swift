import Foundation

/// Chooses the next version for a new migration in the configured scheme.
///
/// The version is always higher than every version in use: a new migration runs last. When
/// the scheme cannot give such a version (the newest is a mistyped timestamp, or so large that
/// adding one overflows), the allocator says so rather than choosing a lower one.
public struct VersionAllocator: Sendable {
    public let scheme: VersioningScheme

    public init(scheme: VersioningScheme) {
        self.scheme = scheme
    }

    /// Why no version can follow the ones in use.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let newest: Version
        public let scheme: VersioningScheme
        public let reason: String

        public var description: String {
            "cannot choose a \(scheme.rawValue) version after the newest one, \(newest.text): \(reason)"
        }
    }

    /// The version a new migration gets, given the versions in use and the current time.
    ///
    /// - timestamp: `now` in UTC as `YYYYMMDDHHMMSS`, moved on a second at a time past any taken
    ///   one and past the newest existing version;
    /// - sequential: highest + 1, zero-padded to the width in use (4 by default);
    /// - hybrid: `YYYY.MM.DD.N` with today's date (or the newest one's, if later) and the next counter of that day.
    public func next(after existing: [Version], now: Date) throws(Failure) -> Version {
        let newest = existing.max()
        if let newest, newest.looksLikeMistypedTimestamp {
            throw Failure(
                newest: newest, scheme: scheme,
                reason:
                    "it has \(newest.digits!.count) digits, a timestamp has 14; rename it (a typo?) before adding another"
            )
        }
        let candidate: Version?
        switch scheme {
        case .timestamp: candidate = nextTimestamp(after: existing, now: now)
        case .sequential: candidate = nextSequential(after: existing)
        case .hybrid: candidate = nextHybrid(after: existing, now: now)
        }
        guard let candidate, newest.map({ candidate > $0 }) ?? true else {
            throw Failure(
                newest: newest!, scheme: scheme,
                reason:
                    "no \(scheme.rawValue) version sorts after it; give that migration a version in the \(scheme.rawValue) scheme, "
                    + "or set [migrations] versioning to the scheme it uses")
        }
        return candidate
    }

    /// Follows the width in use: a folder of 12-digit stamps (`YYYYMMDDHHMM`) gets another one.
    private func nextTimestamp(after existing: [Version], now: Date) -> Version? {
        let taken = Set(existing)
        let newest = existing.max()
        let newestDigits = newest?.digits
        let width = newestDigits?.count == 12 && newest?.scheme == .timestamp ? 12 : 14
        let step: TimeInterval = width == 12 ? 60 : 1
        func version(_ date: Date) -> Version? { Version(String(TimestampFormat.text(date).prefix(width))) }
        var candidate = now
        if let newestDigits, let newestDate = TimestampFormat.date(from: newestDigits), newestDate >= candidate {
            candidate = newestDate.addingTimeInterval(step)
        }
        while let taken = version(candidate).map(taken.contains), taken {
            candidate = candidate.addingTimeInterval(step)
        }
        return version(candidate)
    }

    private func nextSequential(after existing: [Version]) -> Version? {
        let newest = existing.filter { $0.components.count == 1 }.max()
        let (next, overflow) = (newest?.components[0] ?? 0).addingReportingOverflow(1)
        guard !overflow else { return nil }
        let width = max(newest?.digits?.count ?? 4, 1)
        let digits = String(next)
        return Version(String(repeating: "0", count: max(0, width - digits.count)) + digits)
    }

    private func nextHybrid(after existing: [Version], now: Date) -> Version? {
        let day = TimestampFormat.utc.dateComponents([.year, .month, .day], from: now)
        var prefix = [UInt64(day.year!), UInt64(day.month!), UInt64(day.day!)]
        let hybrids = existing.filter { $0.scheme == .hybrid }
        if let latest = hybrids.map({ Array($0.components.prefix(3)) }).max(by: { $0.lexicographicallyPrecedes($1) }),
            prefix.lexicographicallyPrecedes(latest)
        {
            // The newest migration is dated after today (a clock behind, or a date typed by hand): continue its day.
            prefix = latest
        }
        let counter = hybrids.filter { Array($0.components.prefix(3)) == prefix }.map { $0.components[3] }.max() ?? 0
        let (next, overflow) = counter.addingReportingOverflow(1)
        guard !overflow else { return nil }
        return Version(String(format: "%04llu.%02llu.%02llu.%llu", prefix[0], prefix[1], prefix[2], next))
    }
}
