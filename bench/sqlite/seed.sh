#!/usr/bin/env bash
# SQLite large-seed benchmark: one migration of generated INSERTs, 20 MB and 200 MB by default.
#   1. `mig up` of the seed into a new file database against the sqlite3 shell running the same
#      file in one transaction (target <= 1.5x; with --no-shadow, and with the rehearsal, which
#      runs the seed twice: once on the copy, once for real);
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
mkdir -p "$work/.migrate"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\n[database]\nurl = "sqlite:app.db"\n[shadow]\nroundtrip = false\n' \
  > "$work/.migrate/config.toml"
cd "$work"

for size in "${sizes[@]}"; do
  rm -rf db app.db app.db.lock shell.db
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
  shell=$(median_seconds 1 sh -c 'rm -f shell.db && { echo "BEGIN;"; cat db/migrations/0001_table.up.sql db/migrations/0002_seed.up.sql; echo "COMMIT;"; } | sqlite3 shell.db')
  bare=$(median_seconds 1 sh -c "rm -f app.db app.db.lock && '$mig' up --to 2 --no-shadow")
  rehearsed=$(median_seconds 1 sh -c "rm -f app.db app.db.lock && '$mig' up --to 2")
  rows=$(sqlite3 app.db 'SELECT count(*) FROM seed')
  database_mb=$(( $(stat -c %s app.db) / 1000000 ))
  one_line=$(peak_megabytes "$mig" up)
  echo "sqlite: seed migration of ${size} MB (${rows} rows)"
  echo "  sqlite3 file, one transaction    ${shell}s"
  echo "  mig up --no-shadow               ${bare}s  ($(ratio "$bare" "$shell")x, target <= 1.5x)"
  echo "  mig up (rehearsal included)      ${rehearsed}s  ($(ratio "$rehearsed" "$shell")x)"
  echo "  mig up of one CREATE INDEX on the ${database_mb} MB database: peak ${one_line} MB"
done
