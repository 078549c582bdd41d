#ifndef MIG_CSQLITE_SHIM_H
#define MIG_CSQLITE_SHIM_H

#include <sqlite3.h>

#endif
