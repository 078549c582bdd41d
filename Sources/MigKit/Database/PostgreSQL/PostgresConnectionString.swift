import Foundation

/// A PostgreSQL URL (`postgres://` or `postgresql://`) or libpq key/value string, with what must never
/// be shown: the password in its written and its decoded form.
///
/// libpq parses the string itself (host lists, `?host=/socket/dir`, `sslmode`, the `PG*` environment
/// variables); this type only knows enough to keep the password out of every message.
struct PostgresConnectionString: Sendable {
    let text: String
    /// Every spelling of the password that could appear in a message, longest first.
    let secrets: [String]

    init(_ text: String, environment: [String: String]) {
        self.text = text
        var secrets: Set<String> = []
        if let password = Self.writtenPassword(in: text), !password.isEmpty {
            secrets.insert(password)
            if let decoded = password.removingPercentEncoding { secrets.insert(decoded) }
        }
        if let password = environment["PGPASSWORD"], !password.isEmpty { secrets.insert(password) }
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// Whether `url` is for PostgreSQL (as opposed to SQLite).
    static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// `text` with every spelling of the password replaced by `***`.
    func redact(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// The URL as it may be shown.
    var redacted: String { redact(text) }

    /// The password as written: in a URL the part of the user info after `:`, in a key/value
    /// string the value of `password=`.
    private static func writtenPassword(in text: String) -> String? {
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            guard let at = authority.lastIndex(of: "@") else { return queryPassword(in: rest) }
            let userInfo = authority[..<at]
            guard let colon = userInfo.firstIndex(of: ":") else { return queryPassword(in: rest) }
            return String(userInfo[userInfo.index(after: colon)...])
        }
        return keyValuePassword(in: text)
    }

    private static func queryPassword(in text: Substring) -> String? {
        guard let query = text.firstIndex(of: "?") else { return nil }
        for pair in text[text.index(after: query)...].split(separator: "&") where pair.hasPrefix("password=") {
            return String(pair.dropFirst("password=".count))
        }
        return nil
    }

    private static func keyValuePassword(in text: String) -> String? {
        guard let range = text.range(of: #"password\s*=\s*"#, options: .regularExpression) else { return nil }
        let rest = text[range.upperBound...]
        if rest.first == "'" {
            return String(rest.dropFirst().prefix { $0 != "'" })
        }
        return String(rest.prefix { !$0.isWhitespace })
    }
}
