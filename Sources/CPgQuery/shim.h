#ifndef MIG_CPGQUERY_SHIM_H
#define MIG_CPGQUERY_SHIM_H

// libpg_query: PostgreSQL 15's own parser as a C library (Debian `libpg-query-dev`, which ships
// no pkg-config file, hence this shim and `link "pg_query"` in the module map).
#include <pg_query.h>

#endif
