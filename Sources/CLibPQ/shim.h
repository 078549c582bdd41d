#ifndef MIG_CLIBPQ_SHIM_H
#define MIG_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/// The PG_DIAG_* field codes are character-literal macros that Swift does not import.
static const int MIG_PG_DIAG_SEVERITY = 'S';
static const int MIG_PG_DIAG_SQLSTATE = 'C';
static const int MIG_PG_DIAG_MESSAGE_PRIMARY = 'M';
static const int MIG_PG_DIAG_MESSAGE_DETAIL = 'D';
static const int MIG_PG_DIAG_MESSAGE_HINT = 'H';
static const int MIG_PG_DIAG_STATEMENT_POSITION = 'P';
static const int MIG_PG_DIAG_CONTEXT = 'W';

#endif
