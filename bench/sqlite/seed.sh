#!/usr/bin/env bash
# SQLite large-seed benchmark: one migration of generated INSERTs, 20 MB and 200 MB by default.
#   1. `mig up` of the seed into a new file database against the sqlite3 shell running the same
#      file in one transaction (target <= 1.5x with --no-shadow; with the rehearsal mig runs the
#      seed twice, once on the copy and once for real). One run each; wall and CPU time, since
#      wall time is noisy on a shared machine;
#   2. peak memory of `mig up` applying a one-line migration to the seeded database: the rehearsal
#      copies the database to a file, so memory does not grow with the database.
# Release build. Usage: bench/sqlite/seed.sh [MEGABYTES...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20 200)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mig=$(release_mig)

# measure COMMAND...: "WALL CPU PEAK_MB" of one run (CPU: user + sys seconds), output discarded.
measure() {
  /usr/bin/time -f '%e %U %S %M' "$@" 2>&1 >/dev/null | tail -n 1 \
    | awk '{ printf "%s %.2f %.1f", $1, $2 + $3, $4 / 1024 }'
}
mkdir -p "$work/.migrate"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\n[database]\nurl = "sqlite:app.db"\n[shadow]\nroundtrip = false\n' \
  > "$work/.migrate/config.toml"
cd "$work"

for size in "${sizes[@]}"; do
  rm -rf db big app.db app.db.lock shell.db
  mkdir -p db/migrations
  python3 - "$size" db/migrations/0002_seed.up.sql <<'PY'
import sys
limit = int(sys.argv[1]) * 1_000_000
with open(sys.argv[2], "w") as out:
    written, row = 0, 0
    while written < limit:
        row += 1
        line = (f"INSERT INTO seed (id, name, body) VALUES ({row}, 'name {row}', "
                f"'{'lorem ipsum dolor sit amet ' * 3}{row}');\n")
        out.write(line)
        written += len(line)
PY
  echo "CREATE TABLE seed (id INTEGER PRIMARY KEY, name TEXT, body TEXT);" > db/migrations/0001_table.up.sql
  echo "CREATE INDEX seed_name ON seed (name);" > db/migrations/0003_index.up.sql
  cat db/migrations/* > /dev/null
  # Each: "wall user+sys peak-MB", from GNU time.
  shell=$(measure sh -c '{ echo "BEGIN;"; cat db/migrations/0001_table.up.sql db/migrations/0002_seed.up.sql; echo "COMMIT;"; } | sqlite3 shell.db')
  rm -f app.db app.db.lock
  bare=$(measure "$mig" up --to 2 --no-shadow)
  rm -f app.db app.db.lock
  rehearsed=$(measure "$mig" up --to 2)
  rows=$(sqlite3 app.db 'SELECT count(*) FROM seed')
  database_mb=$(( $(stat -c %s app.db) / 1000000 ))
  # A project holding only the one-line migration, so that the seed file is not read again.
  rm -rf big && mkdir -p big/.migrate big/db/migrations && cp app.db big/
  cp .migrate/config.toml big/.migrate/ && cp db/migrations/0003_index.up.sql big/db/migrations/
  one_line=$(cd big && peak_megabytes "$mig" up)
  read -r shell_wall shell_cpu _ <<< "$shell"
  read -r bare_wall bare_cpu bare_memory <<< "$bare"
  read -r rehearsed_wall rehearsed_cpu rehearsed_memory <<< "$rehearsed"
  echo "sqlite: seed migration of ${size} MB (${rows} rows); wall and CPU (user + sys) seconds"
  echo "  sqlite3 file, one transaction    ${shell_wall}s, CPU ${shell_cpu}s"
  echo "  mig up --no-shadow               ${bare_wall}s ($(ratio "$bare_wall" "$shell_wall")x, target <= 1.5x), CPU ${bare_cpu}s ($(ratio "$bare_cpu" "$shell_cpu")x)  peak ${bare_memory} MB"
  echo "  mig up (rehearsal included)      ${rehearsed_wall}s ($(ratio "$rehearsed_wall" "$shell_wall")x), CPU ${rehearsed_cpu}s ($(ratio "$rehearsed_cpu" "$shell_cpu")x)  peak ${rehearsed_memory} MB"
  echo "  mig up of one CREATE INDEX on the ${database_mb} MB database: peak ${one_line} MB"
done
