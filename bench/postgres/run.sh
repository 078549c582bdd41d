#!/usr/bin/env bash
# PostgreSQL benchmark, in one run against one local server (started here by scripts/postgres-server,
# stopped at the end) on the same generated migrations (bench/sqlite/generate.py --postgres):
#   1. `mig up` of N migrations against psql -v ON_ERROR_STOP=1 applying each file in its own
#      transaction — one psql session (BEGIN; \i FILE; COMMIT per file: the reference for the
#      ratios), and one psql process per file (psql -1 -f FILE) as a deploy script would;
#   2. against `psql -1` of every up concatenated (reported).
# `mig up` runs with its default rehearsal (a copy of the database's schema made with pg_dump in a
# private shadow cluster, which mig starts, then the plan on that copy; targets <= 1.5x the session)
# and with --no-shadow (target <= 1.1x); both apply one transaction per migration. Every timed run
# starts from a fresh, empty database. Release build (MIG_SCRATCH_PATH: its build folder).
# The server's data goes to TMPDIR (/tmp by default); MIG_BENCH_SERVER_TMPDIR=/dev/shm puts it in
# memory, which leaves out the file system's cost of creating (and, on ext4 without a journal, of
# finding a free inode after the last run's DROP DATABASE) every relation's files: what is left is
# the servers' and the clients' own work.
# Usage: bench/postgres/run.sh [MIGRATIONS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/../lib.sh"
count=${1:-1000}
runs=${2:-3}
work=$(mktemp -d)
# mig keeps its rehearsal's private cluster in the project's .migrate/cache/postgres; as root the
# cluster runs as the postgres user, who must reach that folder (mktemp makes it private).
chmod 755 "$work"
mig=$(release_mig)
eval "$(TMPDIR="${MIG_BENCH_SERVER_TMPDIR:-${TMPDIR:-/tmp}}" "$root/scripts/postgres-server" start)"
trap '"$root/scripts/postgres-server" stop "$MIG_TEST_POSTGRES_DIR"; rm -rf "$work"' EXIT
psql_bin="$MIG_TEST_POSTGRES_BIN/psql"

python3 "$root/bench/sqlite/generate.py" "$work/db/migrations" "$count" "$work/all-up.sql" --postgres
mkdir -p "$work/.migrate"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\ndialect = "postgres"\n[shadow]\nroundtrip = false\n' \
  > "$work/.migrate/config.toml"
for file in "$work"/db/migrations/*.up.sql; do
  printf 'BEGIN;\n\\i %s\nCOMMIT;\n' "$file"
done > "$work/apply-each.sql"
cat > "$work/psql-per-file.sh" <<SCRIPT
for file in "$work"/db/migrations/*.up.sql; do
  "$psql_bin" -X -q -v ON_ERROR_STOP=1 -1 -d "\$MIG_DATABASE_URL" -f "\$file" >/dev/null || exit 1
done
SCRIPT

# Every timed run gets a database of its own, and none is dropped before the series ends: on ext4
# without a journal, every file created after a DROP DATABASE first skips each inode freed in the
# last 30 seconds, so a drop before each run made the runs slower and slower, and the later in a
# round, the slower, whatever ran.
databases=0
fresh_database() {
  databases=$((databases + 1))
  url="${MIG_TEST_POSTGRES_URL%/postgres}/bench_$databases"
  "$psql_bin" -X -q -d "$MIG_TEST_POSTGRES_URL" -c "CREATE DATABASE bench_$databases" >/dev/null
}

# Every run times each contender once, in turn, on a fresh database, so that load from elsewhere on
# the machine falls on all of them alike; the medians are reported.
# Each round starts one contender later, so that none is always first after the last round.
declare -A commands=(
  [session]="'$psql_bin' -X -q -v ON_ERROR_STOP=1 -d \"\$MIG_DATABASE_URL\" -f apply-each.sql"
  [per_file]="bash psql-per-file.sh"
  [single]="'$psql_bin' -X -q -v ON_ERROR_STOP=1 -1 -d \"\$MIG_DATABASE_URL\" -f all-up.sql"
  [mig_up]="'$mig' up"
  [mig_no_shadow]="'$mig' up --no-shadow"
)
contenders=(session per_file single mig_up mig_no_shadow)
declare -A times=()
cd "$work"
for round in $(seq "$runs"); do
  for index in "${!contenders[@]}"; do
    name=${contenders[$(((index + round) % ${#contenders[@]}))]}
    fresh_database
    export MIG_DATABASE_URL="$url"
    start=$(date +%s.%N)
    sh -c "${commands[$name]}" >/dev/null 2>&1 || { echo "failed: ${commands[$name]}" >&2; exit 1; }
    end=$(date +%s.%N)
    times[$name]+="$(echo "$end - $start" | bc -l) "
  done
done
median() {
  printf '%s\n' $1 | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
session=$(median "${times[session]}")
per_file=$(median "${times[per_file]}")
single=$(median "${times[single]}")
mig_up=$(median "${times[mig_up]}")
mig_no_shadow=$(median "${times[mig_no_shadow]}")
fresh_database
export MIG_DATABASE_URL="$url"
up_memory=$(peak_megabytes "$mig" up)
applied=$("$psql_bin" -X -A -t -d "$url" -c 'SELECT count(*) FROM mig_history')

echo "postgres: $count migrations, median of $runs runs, one local server"
echo "  psql, one session, BEGIN/\\i/COMMIT per file   ${session}s"
echo "  psql -1 -f per file (a process per file)       ${per_file}s"
echo "  psql -1 of all ups concatenated                ${single}s"
echo "  mig up (rehearsal included)                    ${mig_up}s  ($(ratio "$mig_up" "$session")x the session, $(ratio "$mig_up" "$per_file")x per-file psql, $(ratio "$mig_up" "$single")x psql -1)  peak ${up_memory} MB"
echo "  mig up --no-shadow                             ${mig_no_shadow}s  ($(ratio "$mig_no_shadow" "$session")x the session, $(ratio "$mig_no_shadow" "$per_file")x per-file psql, $(ratio "$mig_no_shadow" "$single")x psql -1)"
echo "  history rows after mig up: $applied"
