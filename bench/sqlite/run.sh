#!/usr/bin/env bash
# SQLite benchmark, in one run on the same generated migrations (pair layout, with downs):
#   1. `mig shadow` of N migrations against the sqlite3 shell running all ups concatenated into :memory:
#      (target <= 1.3x);
#   2. `mig up` of N migrations into a new file database against the sqlite3 shell applying each file
#      in its own transaction into a new file database (target <= 2x);
# plus `mig shadow --roundtrip` for information and mig's peak memory (target < 100 MB);
#   3. `mig shadow` of N+1 migrations with the snapshots of an earlier run of the first N in
#      .migrate/cache (warm) against the same run with --no-cache (cold), without and with the roundtrip.
# Every measurement but 3's warm runs passes --no-cache, so repeated runs stay cold. Release build.
# Usage: bench/sqlite/run.sh [MIGRATIONS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
count=${1:-1000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mig=$(release_mig)
python3 "$here/generate.py" "$work/db/migrations" "$count" "$work/all-up.sql"
# N+1 migrations in their own project, for the cached run.
python3 "$here/generate.py" "$work/cached/db/migrations" "$((count + 1))"
mkdir -p "$work/.migrate"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\n[database]\nurl = "sqlite:app.db"\n[shadow]\nroundtrip = false\n' \
  > "$work/.migrate/config.toml"
# The shell's per-file transactions: BEGIN; .read FILE; COMMIT; for every up, in version order.
for file in "$work"/db/migrations/*.up.sql; do
  printf 'BEGIN;\n.read %s\nCOMMIT;\n' "$file"
done > "$work/apply-each.sql"

cd "$work"
cat db/migrations/* > /dev/null
shell_shadow=$(median_seconds "$runs" sh -c 'sqlite3 :memory: < all-up.sql')
mig_shadow=$(median_seconds "$runs" "$mig" shadow --no-cache)
shadow_memory=$(peak_megabytes "$mig" shadow --no-cache)
roundtrip=$(median_seconds 1 "$mig" shadow --roundtrip --no-cache)
roundtrip_memory=$(peak_megabytes "$mig" shadow --roundtrip --no-cache)
shell_apply=$(median_seconds "$runs" sh -c 'rm -f shell.db && sqlite3 shell.db < apply-each.sql')
mig_apply=$(median_seconds "$runs" sh -c "rm -f app.db app.db.lock && '$mig' up")
rm -f app.db app.db.lock
up_memory=$(peak_megabytes "$mig" up)
applied=$(sqlite3 app.db 'SELECT count(*) FROM mig_history')

# 3. Warm the cache with the first N (roundtrip included, so it also remembers that they passed),
# keep it aside, and before each warm run put exactly that cache back.
cd "$work/cached"
cp -r ../.migrate .
newest=$(ls db/migrations/*.up.sql | tail -n 1)
mkdir aside && mv "$newest" "${newest%.up.sql}.down.sql" aside/
"$mig" shadow --roundtrip > /dev/null
mv .migrate/cache warm-cache && mv aside/* db/migrations/
warm() { rm -rf .migrate/cache && cp -r warm-cache .migrate/cache && "$mig" shadow "$@"; }
cold_new=$(median_seconds "$runs" "$mig" shadow --no-cache)
warm_new=$(median_seconds "$runs" warm)
cold_roundtrip=$(median_seconds 1 "$mig" shadow --roundtrip --no-cache)
warm_roundtrip=$(median_seconds "$runs" warm --roundtrip)
rm -rf .migrate/cache && cp -r warm-cache .migrate/cache
warm_memory=$(peak_megabytes "$mig" shadow --roundtrip)

echo "sqlite: $count migrations, median of $runs runs"
echo "  sqlite3 :memory: < all ups      ${shell_shadow}s"
echo "  mig shadow                      ${mig_shadow}s  ($(ratio "$mig_shadow" "$shell_shadow")x, target <= 1.3x)  peak ${shadow_memory} MB"
echo "  mig shadow --roundtrip          ${roundtrip}s  (up, down, up with a schema check after each step)  peak ${roundtrip_memory} MB"
echo "  sqlite3 file, one tx per file   ${shell_apply}s"
echo "  mig up (rehearsal included)     ${mig_apply}s  ($(ratio "$mig_apply" "$shell_apply")x, target <= 2x)  peak ${up_memory} MB"
echo "  history rows after mig up: $applied"
echo "  $((count + 1)) migrations, the first $count cached in .migrate/cache by an earlier run:"
echo "  mig shadow --no-cache           ${cold_new}s"
echo "  mig shadow (cached)             ${warm_new}s  ($(ratio "$warm_new" "$cold_new")x of cold)"
echo "  mig shadow --roundtrip --no-cache ${cold_roundtrip}s"
echo "  mig shadow --roundtrip (cached) ${warm_roundtrip}s  ($(ratio "$warm_roundtrip" "$cold_roundtrip")x of cold)  peak ${warm_memory} MB"
