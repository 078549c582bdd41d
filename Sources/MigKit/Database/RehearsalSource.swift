/// Where `MigrationRunner` gets the throw-away copy of a real database that it rehearses a plan on,
/// for engines whose databases cannot copy themselves (`DatabaseDriver.makeShadowCopy()`):
/// PostgreSQL's copy is a database in a shadow server with the target's schema
/// (`PostgresRehearsalSource`).
public protocol RehearsalSource: AnyObject {
    /// A fresh copy of `database`'s schema and history table; `notes` say how it was made when that is
    /// worth knowing (a fallback, a version difference). `catalog` holds the migrations the copy may
    /// be rebuilt from; `directoryPrefix` places their paths in messages.
    func copy(of database: any DatabaseDriver, catalog: Catalog, directoryPrefix: String) throws -> (
        database: any DatabaseDriver, notes: [String]
    )

    /// The run needs no more copies: what made them is let go of while the real run goes on.
    func endRehearsals()
}
