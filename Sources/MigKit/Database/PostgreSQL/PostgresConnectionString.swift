internal import CLibPQ
import Foundation

/// A PostgreSQL URL (`postgres://` or `postgresql://`) or libpq key/value string, read by libpq's own
/// parser (`PQconninfoParse`), so that what mig shows of it is built from the parts libpq will use
/// and never holds the password.
///
/// Editing the text to hide the password would need to know where libpq thinks the password ends: a
/// password with an unencoded `?` is read whole by libpq (`postgres://u:Q?9x@host/db`), so a
/// hand-written parser that stops at `?` prints it. Building the shown form from libpq's parts cannot
/// leak what it does not include.
struct PostgresConnectionString: Sendable {
    let text: String
    /// What libpq read, by keyword (`host`, `port`, `dbname`, `user`, `password`, …).
    private let parts: [String: String]
    /// Every spelling of a password that could appear in a message: libpq's (decoded) password, as
    /// written, and `PGPASSWORD`'s.
    private let secrets: [String]

    /// Parses `text` as libpq would; a string libpq cannot read, or a URL whose user name or
    /// password libpq would read as the host, port or database, is an error that does not repeat it.
    init(_ text: String, environment: [String: String]) throws(DatabaseError) {
        self.text = text
        parts = try Self.parse(text)
        if Self.isPostgres(text) { try Self.checkUserInfo(parts) }
        var secrets: Set<String> = []
        if let password = parts["password"], !password.isEmpty {
            secrets.insert(password)
            if let written = Self.writtenPassword(in: text) { secrets.insert(written) }
        }
        if let password = environment["PGPASSWORD"], !password.isEmpty { secrets.insert(password) }
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// Whether `url` is a PostgreSQL URL (as opposed to SQLite). libpq recognises these two
    /// prefixes, in lower case only.
    static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// Whether `text` is a libpq key/value string (`host=db dbname=app`) rather than a URL.
    static func isKeyValue(_ text: String) -> Bool {
        text.range(of: #"^\s*[A-Za-z_]+\s*="#, options: .regularExpression) != nil
    }

    // MARK: - What may be shown

    /// The connection as it may be shown: user, host, port and database in the form it was written
    /// in (a URL or key/value words), `***` where a password was given, every other option left out.
    var redacted: String {
        let password = parts["password"].map { _ in "***" }
        guard Self.isPostgres(text) else {
            let words = [
                ("host", parts["host"]), ("hostaddr", parts["hostaddr"]), ("port", parts["port"]),
                ("dbname", parts["dbname"]), ("user", parts["user"]), ("password", password),
            ]
            return words.compactMap { key, value in value.map { "\(key)=\(Self.quoteValue($0))" } }.joined(
                separator: " ")
        }
        let scheme = text.hasPrefix("postgresql://") ? "postgresql://" : "postgres://"
        var userInfo = parts["user"].map { Self.encode($0) } ?? ""
        var query: [String] = []
        if let password {
            if userInfo.isEmpty { query.append("password=" + password) } else { userInfo += ":" + password }
        }
        let hosts = parts["host"].map { $0.split(separator: ",", omittingEmptySubsequences: false) } ?? []
        let ports = parts["port"].map { $0.split(separator: ",", omittingEmptySubsequences: false) } ?? []
        var netloc = ""
        if hosts.contains(where: { $0.hasPrefix("/") || $0.hasPrefix("@") }) {
            // Unix socket folders are written as a query parameter.
            query.append("host=" + Self.encode(parts["host"] ?? ""))
            if let port = parts["port"] { query.append("port=" + Self.encode(port)) }
        } else {
            netloc = hosts.enumerated().map { index, host in
                let name = host.contains(":") ? "[\(host)]" : Self.encode(String(host))
                let port = ports.count == hosts.count ? ports[index] : (ports.count == 1 ? ports[0] : "")
                return port.isEmpty ? name : "\(name):\(port)"
            }.joined(separator: ",")
            if hosts.isEmpty, let port = parts["port"] { query.append("port=" + Self.encode(port)) }
        }
        if let address = parts["hostaddr"] { query.append("hostaddr=" + Self.encode(address)) }
        return scheme + (userInfo.isEmpty ? "" : userInfo + "@") + netloc + "/"
            + Self.encode(parts["dbname"] ?? "") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    /// `message` with every password spelling replaced by `***` where it stands on its own: not
    /// inside a longer word, so a one-letter password does not turn `expired` into `e***pired`. Where
    /// one spelling contains another (`pw%2525` written, `pw%25` decoded) the longer one is removed
    /// whole.
    func redact(_ message: String) -> String {
        var ranges: [Range<String.Index>] = []
        for secret in secrets {
            for range in message.ranges(of: secret) where Self.standsAlone(range, in: message) {
                ranges.append(range)
            }
        }
        guard !ranges.isEmpty else { return message }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var result = ""
        var position = message.startIndex
        for range in ranges where range.upperBound > position {
            if range.lowerBound >= position {
                result += message[position..<range.lowerBound] + "***"
            }
            position = range.upperBound
        }
        return result + message[position...]
    }

    private static func standsAlone(_ range: Range<String.Index>, in text: String) -> Bool {
        let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
        let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
        return !(before?.isLetter ?? false) && !(before?.isNumber ?? false) && !(after?.isLetter ?? false)
            && !(after?.isNumber ?? false)
    }

    // MARK: - Client programs

    /// The environment that makes a libpq client program (`pg_dump`, `psql`) connect where this
    /// string does, to `database` instead of its own when given: every option libpq read, in the
    /// environment variable libpq reads it from (`PGHOST`, `PGSSLMODE`, …), over `inherited`. The
    /// password is not among them: it is returned apart, for a password file, since a command line
    /// is visible to every user of the machine and an environment variable outlives its use.
    func clientEnvironment(database: String?, inherited: [String: String]) -> (
        variables: [String: String], password: String?
    ) {
        var variables = inherited
        let password = parts["password"].flatMap { $0.isEmpty ? nil : $0 }
        if password != nil { variables["PGPASSWORD"] = nil }
        for (keyword, value) in parts where keyword != "password" {
            if let name = Self.environmentVariables[keyword] { variables[name] = value }
        }
        if let database { variables["PGDATABASE"] = database }
        return (variables, password)
    }

    /// libpq's environment variable for each connection keyword (`PQconndefaults`).
    private static let environmentVariables: [String: String] = {
        guard let options = PQconndefaults() else { return [:] }
        defer { PQconninfoFree(options) }
        var names: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let name = option.pointee.envvar { names[String(cString: keyword)] = String(cString: name) }
            option += 1
        }
        return names
    }()

    // MARK: - Parsing

    private static func parse(_ text: String) throws(DatabaseError) -> [String: String] {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(text, &error) else {
            let reason = error.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(error)
            throw DatabaseError(
                message: "libpq cannot read the database URL: \(withoutQuotedText(reason.trimmingWhitespace()))",
                hint: "write postgres://user:password@host:port/database (percent-encode special characters) "
                    + "or libpq key/value words such as host=… dbname=…")
        }
        defer { PQconninfoFree(options) }
        var parts: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parts[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return parts
    }

    /// libpq reads a URL's user name and password up to the first `@` or `/`: a password holding
    /// either (`u:ab/cd@host/db`, `u:a@b@host/db`) spills into the host, port or database name, where
    /// libpq's own messages would show it, and it would not be the password the server gets.
    private static func checkUserInfo(_ parts: [String: String]) throws(DatabaseError) {
        let port = parts["port"] ?? ""
        let spilled =
            (parts["host"] ?? "").contains("@") || (parts["dbname"] ?? "").contains("@")
            || !port.allSatisfy { $0.isASCIIDigit || $0 == "," }
        guard spilled else { return }
        throw DatabaseError(
            message:
                "the database URL cannot be read as intended: its user name or password seems to hold an unencoded '@' or '/'",
            hint: "percent-encode them in the URL ('@' as %40, '/' as %2F), or pass the password in PGPASSWORD")
    }

    /// The password as written in a URL's user info (libpq's reading: up to the first `@` or `/`),
    /// before percent-decoding.
    private static func writtenPassword(in text: String) -> String? {
        guard isPostgres(text), let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        guard let end = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[end] == "@" else { return nil }
        let userInfo = rest[..<end]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        let password = userInfo[userInfo.index(after: colon)...]
        return password.isEmpty ? nil : String(password)
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func quoteValue(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\\" }) else {
            return value
        }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            + "'"
    }

    /// libpq's parse errors quote the offending text, which may be part of the password: keep the
    /// reason, drop the quoted text.
    private static func withoutQuotedText(_ message: String) -> String {
        message.replacingOccurrences(of: #""[^"]*""#, with: "\"…\"", options: .regularExpression)
    }
}
