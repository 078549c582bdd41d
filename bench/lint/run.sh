#!/usr/bin/env bash
# mig lint against squawk on the same generated PostgreSQL migrations: per-rule finding counts
# side by side, and the wall time of each (median of RUNS), in the same run.
# squawk-cli comes from PyPI into a private virtual environment under bench/work/ (never a
# dependency of mig). Usage: bench/lint/run.sh [MIGRATIONS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
count=${1:-1000}
runs=${2:-5}
root=$(cd "$here/../.." && pwd)
venv="$root/bench/work/squawk-venv"
squawk_version=2.70.0  # the version bench/lint/README.md's figures come from
if [ ! -x "$venv/bin/squawk" ] || [ "$("$venv/bin/squawk" --version | awk '{print $2}')" != "$squawk_version" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "squawk-cli==$squawk_version"
fi
squawk="$venv/bin/squawk"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mig=$(release_mig)
python3 "$here/generate.py" "$work/db/migrations" "$count"
mkdir -p "$work/.migrate"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\nversioning = "sequential"\ndialect = "postgres"\n' \
  > "$work/.migrate/config.toml"

cd "$work"
cat db/migrations/* >/dev/null
# Each tool lints every up file on its own; mig outside a Git repository lints them all.
"$mig" lint --all --format json > mig.json || true
"$squawk" --reporter json db/migrations/*.up.sql > squawk.json || true
mig_time=$(median_seconds "$runs" "$mig" lint --all --format json)
squawk_time=$(median_seconds "$runs" "$squawk" --reporter json db/migrations/*.up.sql)
# CPU time (user + system) of one run each: on a machine busy with other work it says more.
# (mig exits 1 on error findings: that status is not the script's failure.)
cpu() { { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null || true; } | tail -n 1 | awk '{ printf "%.2f", $1 + $2 }'; }
mig_cpu=$(cpu "$mig" lint --all --format json)
squawk_cpu=$(cpu "$squawk" --reporter json db/migrations/*.up.sql)

echo "lint: $count migrations ($(ls db/migrations/*.up.sql | wc -l) up files), median of $runs runs"
echo "  squawk $("$squawk" --version | awk '{print $2}')   ${squawk_time}s wall, ${squawk_cpu}s CPU"
echo "  mig lint --all   ${mig_time}s wall, ${mig_cpu}s CPU  ($(ratio "$mig_time" "$squawk_time")x squawk, target <= 1.0x)"
echo
python3 "$here/compare.py" mig.json squawk.json
