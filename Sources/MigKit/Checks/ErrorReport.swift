/// A failure that stopped a command, in the form machines read: `--format json` prints it on
/// stdout (`{"error": {...}}`) so that a script sees why a command failed, not an empty output.
///
/// `code` is stable and names the kind of failure; `message` is the text people read on stderr;
/// `file` and `line` say where, when the failure has a place.
public struct ErrorReport: Sendable, Encodable, Equatable {
    public let code: String
    public let message: String
    public let file: String?
    public let line: Int?
    /// The database's own code (PostgreSQL's SQLSTATE, SQLite's result code), when a database failed.
    public let databaseCode: String?

    public init(code: String, message: String, file: String? = nil, line: Int? = nil, databaseCode: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.databaseCode = databaseCode
    }

    /// The report of `error`, with the place and code its type carries.
    public init(_ error: any Error) {
        let message = String(describing: error)
        switch error {
        case let failure as MigrationFailure:
            self.init(
                code: "migration-failed", message: message, file: failure.location?.path, line: failure.location?.line)
        case let failure as DatabaseError:
            self.init(code: "database", message: message, file: failure.path, line: failure.line, databaseCode: failure.code)
        case let failure as ConfigurationFile.Failure:
            self.init(code: "configuration", message: message, file: failure.path, line: failure.line)
        case is ProjectError:
            self.init(code: "configuration", message: message)
        case is CatalogError:
            self.init(code: "catalog", message: message)
        case is PlanError, is ResolveError:
            self.init(code: "plan", message: message)
        case is BranchSetupError, is GitError, is HistoryError:
            self.init(code: "git", message: message)
        case is KeptShadowFile.Refusal:
            self.init(code: "refused-path", message: message)
        default:
            self.init(code: "error", message: message)
        }
    }

    /// The JSON document a failed command prints: `{"error": {...}}`.
    public struct Document: Encodable, Sendable {
        public let error: ErrorReport
    }

    public var document: Document { Document(error: self) }
}
