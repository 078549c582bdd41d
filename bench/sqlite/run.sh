#!/usr/bin/env bash
# SQLite benchmark, in one run on the same generated migrations (pair layout, with downs):
#   1. `mig shadow` of N migrations against the sqlite3 shell running all ups concatenated into :memory:
#      (target <= 1.3x);
#   2. `mig up` of N migrations into a new file database against the sqlite3 shell applying each file
#      in its own transaction into a new file database (target <= 2x);
# plus `mig shadow --roundtrip` for information and mig's peak memory (target < 100 MB). Release build.
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
mig_shadow=$(median_seconds "$runs" "$mig" shadow)
shadow_memory=$(peak_megabytes "$mig" shadow)
roundtrip=$(median_seconds 1 "$mig" shadow --roundtrip)
roundtrip_memory=$(peak_megabytes "$mig" shadow --roundtrip)
shell_apply=$(median_seconds "$runs" sh -c 'rm -f shell.db && sqlite3 shell.db < apply-each.sql')
mig_apply=$(median_seconds "$runs" sh -c "rm -f app.db app.db.lock && '$mig' up")
rm -f app.db app.db.lock
up_memory=$(peak_megabytes "$mig" up)
applied=$(sqlite3 app.db 'SELECT count(*) FROM mig_history')

echo "sqlite: $count migrations, median of $runs runs"
echo "  sqlite3 :memory: < all ups      ${shell_shadow}s"
echo "  mig shadow                      ${mig_shadow}s  ($(ratio "$mig_shadow" "$shell_shadow")x, target <= 1.3x)  peak ${shadow_memory} MB"
echo "  mig shadow --roundtrip          ${roundtrip}s  (up, down, up with a schema check after each step)  peak ${roundtrip_memory} MB"
echo "  sqlite3 file, one tx per file   ${shell_apply}s"
echo "  mig up (rehearsal included)     ${mig_apply}s  ($(ratio "$mig_apply" "$shell_apply")x, target <= 2x)  peak ${up_memory} MB"
echo "  history rows after mig up: $applied"
