#ifndef MIG_CGIT2_SHIM_H
#define MIG_CGIT2_SHIM_H

#include <git2.h>

/// `git_libgit2_opts` is variadic and cannot be called from Swift: these wrappers name each option used.
static inline int mig_git_disable_strict_hash_verification(void) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

/// Sets the largest object of one type that libgit2's object cache keeps (0: none).
static inline int mig_git_set_cache_object_limit(git_object_t type, size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, bytes);
}

#endif
