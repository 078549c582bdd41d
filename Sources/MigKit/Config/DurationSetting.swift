/// A duration setting written as PostgreSQL writes intervals (`"90s"`, `"10min"`, `"1h 30min"`,
/// `"500ms"`; a bare number is seconds), read without a server so that a setting that applies to
/// SQLite too (`[database] lock_wait`) means the same on both engines.
public enum DurationSetting {
    /// The duration `text` names, or `nil` when it is not one (or is negative).
    public static func duration(_ text: String) -> Duration? {
        var rest = Substring(text)
        var seconds = 0.0
        var parts = 0
        while true {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { break }
            let number = rest.prefix { $0.isASCIIDigit || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count).drop { $0 == " " }
            let unit = rest.prefix { $0.isLetter }.lowercased()
            rest = rest.dropFirst(unit.count)
            guard let scale = unit.isEmpty ? 1 : units[unit] else { return nil }
            seconds += value * scale
            parts += 1
        }
        guard parts > 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Each unit PostgreSQL accepts in an interval, in seconds.
    private static let units: [String: Double] = {
        var units: [String: Double] = [:]
        let spellings: [(Double, [String])] = [
            (0.000_001, ["us", "usec", "usecs", "microsecond", "microseconds"]),
            (0.001, ["ms", "msec", "msecs", "millisecond", "milliseconds"]),
            (1, ["s", "sec", "secs", "second", "seconds"]),
            (60, ["m", "min", "mins", "minute", "minutes"]),
            (3600, ["h", "hr", "hrs", "hour", "hours"]),
            (86400, ["d", "day", "days"]),
        ]
        for (scale, names) in spellings { for name in names { units[name] = scale } }
        return units
    }()
}
