import Foundation

/// PostgreSQL's client programs of one installed version (`pg_dump`, `psql`), for the rehearsal
/// copy of a database (`PostgresRehearsalSource`).
///
/// Found in `/usr/lib/postgresql/<major>/bin` (Debian's layout) and on the `PATH`. A connection is
/// handed to them through libpq's environment variables, and its password through a password file
/// that only mig's user can read and that is deleted afterwards: never on the command line, which
/// every user of the machine can read (`ps`, `/proc/<pid>/cmdline`).
struct PostgresClientTools {
    /// The folder holding `pg_dump` and `psql`.
    let folder: URL
    /// Their major version (15 for 15.18).
    let majorVersion: Int

    /// The installed programs best suited to a server of major version `serverMajor`: the same major
    /// version, else the oldest newer one (`pg_dump` refuses a server newer than itself), from
    /// `/usr/lib/postgresql` first, then from the `PATH`. `nil` when none is as new as the server.
    static func forServer(major serverMajor: Int, environment: [String: String]) -> PostgresClientTools? {
        let suitable = { (tools: [PostgresClientTools]) in
            tools.filter { $0.majorVersion >= serverMajor }.min { $0.majorVersion < $1.majorVersion }
        }
        return suitable(installedPerVersion()) ?? suitable(onPath(environment: environment))
    }

    /// Every installed folder with both programs, with its version.
    static func installed(environment: [String: String]) -> [PostgresClientTools] {
        installedPerVersion() + onPath(environment: environment)
    }

    /// Debian's `/usr/lib/postgresql/<major>/bin` folders with both programs.
    private static func installedPerVersion() -> [PostgresClientTools] {
        let root = "/usr/lib/postgresql"
        return ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap { entry in
            guard let major = Int(entry) else { return nil }
            let folder = URL(fileURLWithPath: "\(root)/\(entry)/bin")
            return hasBoth(folder) ? PostgresClientTools(folder: folder, majorVersion: major) : nil
        }
    }

    /// The `PATH` folders with both programs, each with the version its `pg_dump` reports.
    private static func onPath(environment: [String: String]) -> [PostgresClientTools] {
        (environment["PATH"] ?? "").split(separator: ":").compactMap { entry in
            let folder = URL(fileURLWithPath: String(entry))
            guard hasBoth(folder), let major = version(of: folder.appending(path: "pg_dump")) else { return nil }
            return PostgresClientTools(folder: folder, majorVersion: major)
        }
    }

    private static func hasBoth(_ folder: URL) -> Bool {
        ["pg_dump", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appending(path: $0).path) }
    }

    /// The major version `program --version` prints (`pg_dump (PostgreSQL) 15.18 (Debian …)`).
    private static func version(of program: URL) -> Int? {
        let output = FileManager.default.temporaryDirectory.appending(path: "mig-version-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        guard (try? ChildProgram.run(program, ["--version"], environment: [:], output: output, errors: output)) == 0,
            let text = try? String(contentsOf: output, encoding: .utf8),
            let number = text.split(separator: " ").first(where: { $0.first?.isNumber ?? false })
        else { return nil }
        return Int(number.prefix { $0.isNumber })
    }

    /// Runs `tool` (`pg_dump`, `psql`) connected as `connection` says (to `database` on its server when
    /// given), with stdout into `output` (else discarded). A failure throws what the program said on
    /// stderr, with any password removed.
    func run(
        _ tool: String, _ arguments: [String], connection: PostgresConnectionString, database: String? = nil,
        connectTimeout: Int, output: URL? = nil
    ) throws(DatabaseError) {
        let folder: URL
        do {
            folder = try Self.privateFolder()
        } catch {
            throw DatabaseError(message: "cannot create a private temporary folder for \(tool): \(error)")
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        var (environment, password) = connection.clientEnvironment(
            database: database, inherited: ProcessInfo.processInfo.environment)
        // The programs need none of mig's own database URLs, which may hold a password.
        for name in ["MIG_DATABASE_URL", "DATABASE_URL"] { environment[name] = nil }
        if environment["PGCONNECT_TIMEOUT"] == nil { environment["PGCONNECT_TIMEOUT"] = String(max(connectTimeout, 1)) }
        if environment["PGAPPNAME"] == nil { environment["PGAPPNAME"] = "mig" }
        if let password {
            let file = folder.appending(path: "pgpass")
            // hostname:port:database:username:password, `*` matching anything; `\` and `:` escaped.
            let escaped = password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: ":", with: "\\:")
            guard
                FileManager.default.createFile(
                    atPath: file.path, contents: Data("*:*:*:*:\(escaped)\n".utf8),
                    attributes: [.posixPermissions: 0o600])
            else {
                throw DatabaseError(message: "cannot write a password file for \(tool) in \(folder.path)")
            }
            environment["PGPASSFILE"] = file.path
        }
        let errors = folder.appending(path: "stderr")
        let status: Int32
        do {
            status = try ChildProgram.run(
                self.folder.appending(path: tool), arguments, environment: environment,
                output: output ?? URL(fileURLWithPath: "/dev/null"), errors: errors)
        } catch {
            throw DatabaseError(message: "cannot run \(self.folder.appending(path: tool).path): \(error)")
        }
        guard status == 0 else {
            let said = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw DatabaseError(
                message: "\(tool) \(majorVersion) failed (exit status \(status)): "
                    + connection.redact(said.trimmingWhitespace()))
        }
    }

    /// A new folder in the temporary directory that only this user can enter.
    static func privateFolder() throws -> URL {
        var template = Array(
            FileManager.default.temporaryDirectory.appending(path: "mig-pgtool-XXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return URL(fileURLWithPath: String(cString: made))
    }
}
