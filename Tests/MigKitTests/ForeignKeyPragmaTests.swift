import Testing

@testable import MigKit

/// Which scripts `SQLiteDriver` runs as SQLite's table-rebuild recipe (foreign keys off around the
/// transaction, checked before the commit).
@Suite struct ForeignKeyPragmaTests {
    @Test(arguments: [
        "PRAGMA foreign_keys = OFF;", "pragma FOREIGN_KEYS=0", "PRAGMA main.foreign_keys = off;",
        "PRAGMA \"main\" . \"foreign_keys\" (0);", "CREATE TABLE t (x);\n  Pragma\tforeign_keys\n= ON;",
    ])
    func findsAScriptThatSetsForeignKeys(_ sql: String) {
        #expect(ForeignKeyPragma.isSet(in: sql))
    }

    @Test(arguments: [
        "PRAGMA foreign_keys;", "PRAGMA foreign_key_check;", "PRAGMA foreign_keys_x = 1;",
        "CREATE TABLE foreign_keys (x); INSERT INTO foreign_keys VALUES (1);", "SELECT 'pragmas foreign_keys = 1'",
    ])
    func leavesOtherScriptsAlone(_ sql: String) {
        #expect(!ForeignKeyPragma.isSet(in: sql))
    }
}
