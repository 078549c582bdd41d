/// How a migration is laid out in files; see the layouts table in the README.
public enum Layout: String, Sendable, CaseIterable, Codable {
    /// `V_name.up.sql` + `V_name.down.sql` (golang-migrate).
    case pair
    /// One `V_name.sql` with up and down markers (mig, goose, dbmate).
    case sections
    /// `V_name/up.sql` + `V_name/down.sql` (diesel).
    case directory
    /// `up/V_name.sql` + `down/V_name.sql`.
    case split
    /// `V1__name.sql`, `U1__name.sql`, `R__name.sql` (Flyway).
    case flyway
    /// `VERSION_name/migration.sql`, up only, beside `migration_lock.toml` (Prisma Migrate).
    case prisma
}
