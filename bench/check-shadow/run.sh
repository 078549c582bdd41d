#!/usr/bin/env bash
# `mig check --shadow` at scale, in one run (release build), on migrations from bench/sqlite/generate.py
# in a Git repository: main holds N of them, the branch `feature` adds one more.
#   SQLite (default 5,000):
#     1. `mig check --shadow` cold (--no-cache), then twice with the cache: the first run fills
#        .migrate/cache, the second is what a pull request's next push costs
#        (targets: second run <= 1 s and <= 0.05x cold);
#     2. `mig shadow --roundtrip --no-cache` of the N+1 against the sqlite3 shell running all ups,
#        all downs (newest first) and all ups again in one session (target <= 1.5x);
#     3. the peak memory of both (target <= 300 MB).
#   PostgreSQL (default 1,000): `mig check --shadow` cold (--no-cache:
#     a throw-away private cluster), first cached run (the kept cluster is made in
#     .migrate/cache/postgres) and second cached run (target: second <= 0.1x cold).
# ONLY=sqlite or ONLY=postgres runs one half.
# Usage: bench/check-shadow/run.sh [SQLITE_MIGRATIONS] [POSTGRES_MIGRATIONS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
sqlite_count=${1:-5000}
postgres_count=${2:-1000}
runs=${3:-3}
work=$(mktemp -d)
chmod 755 "$work"  # the private cluster runs as an unprivileged user when mig runs as root: it must reach the project
trap 'rm -rf "$work"' EXIT
mig=$(release_mig)

# make_repository DIR COUNT DIALECT [--postgres]: N+1 generated migrations, the last on `feature`.
make_repository() {
  local dir=$1 count=$2 dialect=$3
  shift 3
  python3 "$here/../sqlite/generate.py" "$dir/db/migrations" "$((count + 1))" "$@"
  mkdir -p "$dir/.migrate"
  # The generated indexes on existing tables are not CONCURRENTLY: the lint would fail the check.
  printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\ndialect = "%s"\n[shadow]\nroundtrip = false\n[lint]\noff = ["require-concurrent-index-creation"]\n' \
    "$dialect" > "$dir/.migrate/config.toml"
  git -C "$dir" -c init.defaultBranch=main init -q
  local last
  last=$(cd "$dir/db/migrations" && ls | sort | tail -n 2)
  mkdir -p "$dir/aside"
  for file in $last; do mv "$dir/db/migrations/$file" "$dir/aside/"; done
  git -C "$dir" add -A db .migrate/config.toml
  git -C "$dir" -c user.name=bench -c user.email=bench@example.com commit -qm "N migrations"
  git -C "$dir" checkout -qb feature
  mv "$dir"/aside/* "$dir/db/migrations/"
  git -C "$dir" add -A db
  git -C "$dir" -c user.name=bench -c user.email=bench@example.com commit -qm "one more"
}

# cached_runs DIR: times the first (cache filled) and second cached `check --shadow`, prints "first second".
cached_runs() {
  (cd "$1" && rm -rf .migrate/cache && median_seconds 1 "$mig" check --shadow --base main \
    && median_seconds "$runs" "$mig" check --shadow --base main) | tr '\n' ' '
}

if [ "${ONLY:-sqlite}" = sqlite ]; then
echo "SQLite, $sqlite_count migrations on main + 1 on the branch:"
make_repository "$work/sqlite" "$sqlite_count" sqlite
cd "$work/sqlite"
"$mig" check --shadow --base main > /dev/null # the branch must pass: a failing check would time nothing
cold=$(median_seconds 1 "$mig" check --shadow --base main --no-cache)
cold_memory=$(peak_megabytes "$mig" check --shadow --base main --no-cache)
read -r first second <<< "$(cached_runs "$work/sqlite")"
second_memory=$(peak_megabytes "$mig" check --shadow --base main)
git_only=$(median_seconds "$runs" "$mig" check --base main)
echo "  mig check (no --shadow)           ${git_only}s  (the Git checks alone)"
echo "  mig check --shadow --no-cache     ${cold}s  peak ${cold_memory} MB"
echo "  mig check --shadow, first run      ${first}s (fills .migrate/cache)"
echo "  mig check --shadow, second run     ${second}s  ($(ratio "$second" "$cold")x of cold)  peak ${second_memory} MB"

ls db/migrations/*.up.sql | sort | xargs cat > "$work/all-up.sql"
ls db/migrations/*.down.sql | sort -r | xargs cat > "$work/all-down.sql"
cat "$work/all-up.sql" "$work/all-down.sql" "$work/all-up.sql" > "$work/roundtrip.sql"
shell=$(median_seconds 1 sh -c "sqlite3 :memory: < '$work/roundtrip.sql'")
roundtrip=$(median_seconds 1 "$mig" shadow --roundtrip --no-cache)
roundtrip_memory=$(peak_megabytes "$mig" shadow --roundtrip --no-cache)
echo "  sqlite3 :memory: ups, downs, ups   ${shell}s"
echo "  mig shadow --roundtrip --no-cache  ${roundtrip}s  ($(ratio "$roundtrip" "$shell")x of sqlite3)  peak ${roundtrip_memory} MB"

fi

[ "${ONLY:-postgres}" = postgres ] || exit 0
echo "PostgreSQL, $postgres_count migrations on main + 1 on the branch (mig's private cluster):"
make_repository "$work/postgres" "$postgres_count" postgres --postgres
cd "$work/postgres"
"$mig" check --shadow --base main > /dev/null # the branch must pass: a failing check would time nothing
cold=$(median_seconds 1 "$mig" check --shadow --base main --no-cache)
read -r first second <<< "$(cached_runs "$work/postgres")"
echo "  mig check --shadow --no-cache     ${cold}s"
echo "  mig check --shadow, first run      ${first}s (makes the kept cluster and its snapshots)"
echo "  mig check --shadow, second run     ${second}s  ($(ratio "$second" "$cold")x of cold)"
