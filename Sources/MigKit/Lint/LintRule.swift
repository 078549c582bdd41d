/// A rule of `mig lint`, named by its stable id (squawk's name where squawk has the rule), so that
/// suppressions, `[lint]` settings and CI configurations can rely on it.
public enum LintRule: String, Sendable, CaseIterable, Codable {
    // Locks and rewrites on a table that exists before the branch.
    case requireConcurrentIndexCreation = "require-concurrent-index-creation"
    case requireConcurrentIndexDeletion = "require-concurrent-index-deletion"
    case requireConcurrentReindex = "require-concurrent-reindex"
    case banConcurrentIndexCreationInTransaction = "ban-concurrent-index-creation-in-transaction"
    case addingFieldWithDefault = "adding-field-with-default"
    case changingColumnType = "changing-column-type"
    case addingNotNullableField = "adding-not-nullable-field"
    case addingForeignKeyConstraint = "adding-foreign-key-constraint"
    case constraintMissingNotValid = "constraint-missing-not-valid"
    case disallowedUniqueConstraint = "disallowed-unique-constraint"
    case addingPrimaryKeyConstraint = "adding-primary-key-constraint"
    case banVacuumFull = "ban-vacuum-full"
    case banCluster = "ban-cluster"
    case requireConcurrentDetachPartition = "require-concurrent-detach-partition"
    case requireTimeoutSettings = "require-timeout-settings"
    // Breaking the running application.
    case renamingColumn = "renaming-column"
    case renamingTable = "renaming-table"
    case banDropColumn = "ban-drop-column"
    case banDropTable = "ban-drop-table"
    case banDropNotNull = "ban-drop-not-null"
    case addingRequiredField = "adding-required-field"
    case changingEnumOrder = "changing-enum-order"
    case renamingEnumValue = "renaming-enum-value"
    case renamingSchema = "renaming-schema"
    // Data changes in schema migrations.
    case banUpdateWithoutWhere = "ban-update-without-where"
    case banDeleteWithoutWhere = "ban-delete-without-where"
    case banTruncateCascade = "ban-truncate-cascade"
    // Types and hygiene.
    case preferTimestamptz = "prefer-timestamptz"
    case banCharField = "ban-char-field"
    case preferTextField = "prefer-text-field"
    case preferIdentity = "prefer-identity"
    case preferBigintOverInt = "prefer-bigint-over-int"
    case preferJsonb = "prefer-jsonb"
    case identifierTooLong = "identifier-too-long"
    case preferRobustStmts = "prefer-robust-stmts"
    case transactionNotCommitted = "transaction-not-committed"
    // SQLite.
    case sqliteUnsupportedAlterTable = "sqlite-unsupported-alter-table"
    case sqliteForeignKeysOff = "sqlite-foreign-keys-off"
    case sqliteRebuildLosesColumn = "sqlite-rebuild-loses-column"
    // The lint itself.
    case syntaxError = "syntax-error"
    case invalidLintIgnore = "invalid-lint-ignore"

    /// The level a finding of this rule has unless `[lint]` changes it: errors for what blocks
    /// traffic, breaks running code or loses data; warnings for types and hygiene.
    public var defaultSeverity: Severity {
        switch self {
        case .preferTimestamptz, .banCharField, .preferTextField, .preferIdentity, .preferBigintOverInt, .preferJsonb,
            .preferRobustStmts, .banUpdateWithoutWhere, .banDeleteWithoutWhere, .changingEnumOrder:
            .warning
        default: .error
        }
    }

    /// One line on why the rule exists.
    public var why: String {
        switch self {
        case .requireConcurrentIndexCreation:
            "CREATE INDEX holds a SHARE lock on the table for the whole build: every write waits"
        case .requireConcurrentIndexDeletion:
            "DROP INDEX holds an ACCESS EXCLUSIVE lock on the table: reads and writes wait"
        case .requireConcurrentReindex: "REINDEX blocks writes, and reads that use the index, for the whole rebuild"
        case .banConcurrentIndexCreationInTransaction:
            "CONCURRENTLY cannot run inside a transaction block: the migration fails when it runs"
        case .addingFieldWithDefault:
            "a volatile DEFAULT (or any DEFAULT before PostgreSQL 11) rewrites the table under an ACCESS EXCLUSIVE lock"
        case .changingColumnType:
            "ALTER COLUMN TYPE rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock, and breaks running code"
        case .addingNotNullableField:
            "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) proves it"
        case .addingForeignKeyConstraint:
            "a foreign key scans the whole table under a SHARE ROW EXCLUSIVE lock on both tables unless it is NOT VALID"
        case .constraintMissingNotValid:
            "a CHECK constraint scans the whole table under an ACCESS EXCLUSIVE lock unless it is NOT VALID"
        case .disallowedUniqueConstraint:
            "ADD UNIQUE builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole build"
        case .addingPrimaryKeyConstraint:
            "ADD PRIMARY KEY builds its index (and checks NOT NULL) under an ACCESS EXCLUSIVE lock"
        case .banVacuumFull: "VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock"
        case .banCluster: "CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"
        case .requireConcurrentDetachPartition:
            "DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the parent table"
        case .requireTimeoutSettings:
            "DDL waiting for its lock blocks every query queued behind it: without lock_timeout, a long transaction stops all traffic"
        case .renamingColumn: "the running application still reads and writes the old column name"
        case .renamingTable: "the running application still reads and writes the old table name"
        case .banDropColumn: "the running application may still read or write the column"
        case .banDropTable: "the running application may still read or write the table, and its data is gone"
        case .banDropNotNull: "running code may assume the column always has a value"
        case .addingRequiredField:
            "a NOT NULL column without a DEFAULT fails on a non-empty table and breaks inserts of running code"
        case .changingEnumOrder: "a value added BEFORE or AFTER another changes the sort order queries rely on"
        case .renamingEnumValue: "the running application still writes and compares the old value"
        case .renamingSchema: "the running application still names the old schema"
        case .banUpdateWithoutWhere:
            "an UPDATE of a whole existing table locks every row in one long transaction (bloat, replication lag)"
        case .banDeleteWithoutWhere:
            "a DELETE of a whole existing table locks every row in one long transaction and loses data"
        case .banTruncateCascade: "TRUNCATE … CASCADE also empties every table that references this one"
        case .preferTimestamptz: "timestamp without time zone stores wall-clock times whose zone is lost"
        case .banCharField: "char(n) pads with spaces and is never faster than text"
        case .preferTextField: "varchar(n) gives no speed over text, and changing n later may rewrite the table"
        case .preferIdentity:
            "serial creates a sequence with loose ownership and permissions; identity columns are the SQL standard"
        case .preferBigintOverInt: "a 32-bit key overflows at 2.1 billion, and widening it later rewrites the table"
        case .preferJsonb: "json has no equality operator and is re-parsed on every access; jsonb is indexable"
        case .identifierTooLong: "PostgreSQL silently truncates identifiers to 63 bytes"
        case .preferRobustStmts:
            "this file runs outside a transaction: after a partial run, the retry fails on what already exists"
        case .transactionNotCommitted: "a BEGIN without COMMIT leaves the transaction open"
        case .sqliteUnsupportedAlterTable:
            "SQLite's ALTER TABLE only renames a table or column, adds a column or drops one: anything else fails"
        case .sqliteForeignKeysOff:
            "SQLite ignores PRAGMA foreign_keys inside a transaction, and a rebuild with foreign keys off can leave rows pointing nowhere"
        case .sqliteRebuildLosesColumn:
            "a table rebuild whose new table, or the INSERT … SELECT that fills it, leaves out a column of the old table loses that column's data"
        case .syntaxError: "the database's parser cannot read the script"
        case .invalidLintIgnore: "a suppression must name known rules and say why"
        }
    }

    /// The safe way, as statements or steps.
    public var fix: String {
        switch self {
        case .requireConcurrentIndexCreation:
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS … in a migration of its own marked `-- mig:no-transaction`"
        case .requireConcurrentIndexDeletion:
            "DROP INDEX CONCURRENTLY IF EXISTS … in a migration of its own marked `-- mig:no-transaction`"
        case .requireConcurrentReindex: "REINDEX INDEX CONCURRENTLY … (PostgreSQL 12 or later) outside a transaction"
        case .banConcurrentIndexCreationInTransaction:
            "move the statement out of BEGIN … COMMIT into a migration marked `-- mig:no-transaction`"
        case .addingFieldWithDefault:
            "ADD COLUMN without the default; ALTER COLUMN … SET DEFAULT …; backfill existing rows in batches in a later migration"
        case .changingColumnType:
            "expand/contract: ADD COLUMN with the new type, write both, backfill in batches, switch reads, DROP the old column later"
        case .addingNotNullableField:
            "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (a later migration); SET NOT NULL; DROP CONSTRAINT c"
        case .addingForeignKeyConstraint:
            "ADD CONSTRAINT … FOREIGN KEY … NOT VALID; then VALIDATE CONSTRAINT … in a later migration"
        case .constraintMissingNotValid:
            "ADD CONSTRAINT … CHECK (…) NOT VALID; then VALIDATE CONSTRAINT … in a later migration"
        case .disallowedUniqueConstraint:
            "CREATE UNIQUE INDEX CONCURRENTLY i …; then ADD CONSTRAINT c UNIQUE USING INDEX i"
        case .addingPrimaryKeyConstraint:
            "CREATE UNIQUE INDEX CONCURRENTLY i …; then ADD CONSTRAINT c PRIMARY KEY USING INDEX i"
        case .banVacuumFull, .banCluster: "run pg_repack (or a similar online tool) outside migrations"
        case .requireConcurrentDetachPartition:
            "DETACH PARTITION … CONCURRENTLY (PostgreSQL 14 or later) in a migration marked `-- mig:no-transaction`"
        case .requireTimeoutSettings:
            "SET lock_timeout = '5s'; (and a statement_timeout) before the DDL, or set [database] lock_timeout in .migrate/config.toml"
        case .renamingColumn:
            "expand/contract: ADD the new column, write both, backfill, switch reads; DROP the old column in a later migration"
        case .renamingTable:
            "expand/contract: create the new table (or a view under the old name), move readers, drop the old one later"
        case .banDropColumn, .banDropTable:
            "first deploy code that no longer uses it; drop it in a later contract migration with `-- mig:lint-ignore` and the reason"
        case .banDropNotNull:
            "first deploy code that handles NULL; then drop NOT NULL with `-- mig:lint-ignore` and the reason"
        case .addingRequiredField:
            "ADD COLUMN nullable (or with a constant DEFAULT); backfill in batches; then enforce NOT NULL with a validated CHECK"
        case .changingEnumOrder: "ADD VALUE without BEFORE/AFTER, at the end of the enum"
        case .renamingEnumValue:
            "ADD the new value; migrate rows in batches; stop using the old value before removing it"
        case .renamingSchema: "create the new schema, move objects, keep the old name until no code uses it"
        case .banUpdateWithoutWhere, .banDeleteWithoutWhere:
            "a separate data migration that works in batches (WHERE id BETWEEN …), outside the schema change"
        case .banTruncateCascade: "TRUNCATE the tables by name, or DELETE in batches"
        case .preferTimestamptz: "timestamptz"
        case .banCharField: "text (with a CHECK on its length if it matters)"
        case .preferTextField: "text with CHECK (char_length(col) <= n)"
        case .preferIdentity: "bigint GENERATED ALWAYS AS IDENTITY"
        case .preferBigintOverInt: "bigint for keys and the columns that reference them"
        case .preferJsonb: "jsonb"
        case .identifierTooLong: "a name of at most 63 bytes"
        case .preferRobustStmts: "CREATE … IF NOT EXISTS, DROP … IF EXISTS, ADD COLUMN IF NOT EXISTS"
        case .transactionNotCommitted: "end the transaction with COMMIT"
        case .sqliteUnsupportedAlterTable:
            "rebuild the table: CREATE TABLE new_t (…); INSERT INTO new_t SELECT … FROM t; DROP TABLE t; ALTER TABLE new_t RENAME TO t"
        case .sqliteForeignKeysOff:
            "a `-- mig:no-transaction` migration: PRAGMA foreign_keys = OFF; BEGIN; rebuild; PRAGMA foreign_key_check; COMMIT; PRAGMA foreign_keys = ON"
        case .sqliteRebuildLosesColumn:
            "name every column of the old table in the new one and in INSERT INTO new (…) SELECT … FROM old; to drop a column on purpose, say so with `-- mig:lint-ignore sqlite-rebuild-loses-column` and the reason"
        case .syntaxError: "fix the SQL (the PostgreSQL parser is PostgreSQL 15's: newer syntax is not understood yet)"
        case .invalidLintIgnore: "-- mig:lint-ignore RULE[,RULE] the reason it is safe here"
        }
    }
}
