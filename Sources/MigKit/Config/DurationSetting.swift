/// A duration setting written as PostgreSQL writes intervals (`"90s"`, `"10min"`, `"1h 30min"`,
/// `"500ms"`, `"00:05:00"`; a bare number is seconds), read without a server so that a setting
/// that applies to SQLite too (`[database] lock_wait`) means the same on both engines.
public enum DurationSetting {
    /// The longest duration accepted: a year, far beyond any wait worth configuring.
    static let longest = 366.0 * 86400

    /// The duration `text` names, or `nil` when it is not one (negative, or over a year).
    public static func duration(_ text: String) -> Duration? {
        var rest = Substring(text)
        var seconds = 0.0
        var parts = 0
        while true {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { break }
            let token = rest.prefix { $0.isASCIIDigit || $0 == "." || $0 == ":" }
            rest = rest.dropFirst(token.count).drop { $0 == " " }
            if token.contains(":") {
                guard let clock = clockSeconds(token) else { return nil }
                seconds += clock
            } else {
                guard let value = Double(token) else { return nil }
                let unit = rest.prefix { $0.isLetter }.lowercased()
                rest = rest.dropFirst(unit.count)
                guard let scale = unit.isEmpty ? 1 : units[unit] else { return nil }
                seconds += value * scale
            }
            parts += 1
        }
        guard parts > 0, seconds <= longest else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff`, as PostgreSQL reads a time in an interval.
    private static func clockSeconds(_ token: Substring) -> Double? {
        let fields = token.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3,
            let hours = Double(fields[0]), let minutes = Double(fields[1]), fields[0...1].allSatisfy({ !$0.contains(".") })
        else { return nil }
        let seconds = fields.count == 3 ? Double(fields[2]) : 0
        guard let seconds else { return nil }
        return hours * 3600 + minutes * 60 + seconds
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
            (7 * 86400, ["w", "week", "weeks"]),
        ]
        for (scale, names) in spellings { for name in names { units[name] = scale } }
        return units
    }()
}
