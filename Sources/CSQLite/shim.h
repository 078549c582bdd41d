#ifndef MIG_CSQLITE_SHIM_H
#define MIG_CSQLITE_SHIM_H

#include <sqlite3.h>

/// `sqlite3_config` is variadic, which Swift cannot call: this turns off SQLite's memory
/// statistics, whose global mutex every allocation takes. Effective only before SQLite
/// initialises (the first connection); returns SQLITE_MISUSE after.
static inline int mig_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
