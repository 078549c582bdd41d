/// The settings of one project, from `.migrate/config.toml`, the environment and flags.
///
/// Every key has a default, so a project without a config file still works.
public struct Configuration: Sendable, Equatable {
    public var migrations = Migrations()
    public var git = Git()
    public var database = Database()
    public var shadow = Shadow()
    public var lint = Lint()
    /// `[placeholders]`: values for Flyway's `${name}` in Flyway-layout files (see `Placeholders`).
    public var placeholders: [String: String] = [:]

    public init() {}

    /// `[migrations]`: where migrations live and how they are named.
    public struct Migrations: Sendable, Equatable {
        public var directory = "db/migrations"
        public var layout = LayoutSetting.auto
        public var versioning = VersioningScheme.timestamp
        public var dialect = Dialect.sqlite
        public var requireDown = true
        /// Whether `mig new` and `mig fix` keep the merge-conflict guard file up to date.
        public var guardFile = false
        /// Glob patterns of files in the directory left out on purpose (`["*.go"]`); every other
        /// file mig cannot use is a finding.
        public var ignore: [String] = []
    }

    /// `[git]`
    public struct Git: Sendable, Equatable {
        /// The branch `check` and `fix` compare with; `nil` means the first of origin/HEAD, main, master.
        public var base: String?
    }

    /// `[database]`
    public struct Database: Sendable, Equatable {
        /// A literal URL or `env:NAME`; `nil` means none configured.
        public var url: String?
        public var historyTable = "mig_history"
        /// PostgreSQL only: the schema of the history table.
        public var historySchema: String?
        /// `advisory` (session lock) or `table` (a lease row, for transaction poolers).
        public var lock = "advisory"
        /// PostgreSQL `lock_timeout` for migrations, e.g. `"5s"`: a migration waits this long at most for
        /// a lock, so the queries queued behind it wait no longer either.
        public var lockTimeout: String? = "5s"
        /// PostgreSQL: how many times a migration whose lock was not granted within `lockTimeout`
        /// (SQLSTATE 55P03) is rolled back and tried again, after a growing pause (0: never).
        public var lockRetries = 3
        /// PostgreSQL `statement_timeout` for migrations; `nil` leaves the server's.
        public var statementTimeout: String?
        /// How long a run waits for another run's migration lock before giving up, e.g. `"10min"`
        /// (`DurationSetting`).
        public var lockWait = "10min"
        /// PostgreSQL `lock = "table"`: how long the lease lasts unless renewed (a crashed run's lease
        /// blocks others this long at most); the running holder renews it every third of that.
        public var lockLease = "2min"
        /// Seconds to wait for a connection.
        public var connectTimeout = 10
    }

    /// `[shadow]`
    public struct Shadow: Sendable, Equatable {
        /// Up, down, up again: the rollback test.
        public var roundtrip = true
        /// PostgreSQL: a server on which to create throw-away databases instead of a private cluster.
        public var url: String?
        /// Megabytes the shadow snapshots under `.migrate/cache/` may take (0: keep none).
        public var cacheSize = 256
        /// The file `mig schema` writes, relative to the project root.
        public var schemaFile = ".migrate/schema.sql"
        /// Whether config.toml names `schema_file`: then the project keeps the file even before it
        /// exists, and `new`, `fix` and `up` write it (`SchemaFileRefresh`).
        public var schemaFileConfigured = false
        /// PostgreSQL: roles the migrations expect the server to have (`anon`, `authenticated`): the
        /// private cluster creates them; a `url` server must have them.
        public var roles: [String] = []
        /// PostgreSQL: extensions created in every shadow database before the replay (`pgcrypto`).
        public var extensions: [String] = []
    }
}

extension Configuration {
    /// `[lint]`: the PostgreSQL version the rules assume, and per-rule levels.
    public struct Lint: Sendable, Equatable {
        /// The major PostgreSQL version deployed to; `nil` means the parser's (15).
        public var postgresVersion: Int?
        /// Rules turned off (`off = [...]`) or given another level (`error = [...]`, `warning = [...]`).
        public var levels: [LintRule: LintLevel] = [:]
    }
}

/// A level `[lint]` gives a rule.
public enum LintLevel: String, Sendable, CaseIterable {
    case off, warning, error
}

/// The SQL dialect of the project's databases.
public enum Dialect: String, Sendable, CaseIterable, Codable {
    case sqlite
    case postgres
}
