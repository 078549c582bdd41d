#!/usr/bin/env bash
# Catalog loading benchmark: `mig list` over 10,000 pair-layout migrations (20,000 files)
# against `cat … | sha256sum` over the same files, in the same run.
# Usage: bench/catalog/run.sh [MIGRATIONS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
count=${1:-10000}
runs=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mig=$(release_mig)
python3 "$here/generate.py" "$work/db/migrations" "$count"
printf '[migrations]\ndir = "db/migrations"\nlayout = "pair"\n' > "$work/.migrate.toml"
mkdir -p "$work/.migrate" && mv "$work/.migrate.toml" "$work/.migrate/config.toml"
files=$(find "$work/db/migrations" -type f | wc -l)

cd "$work"
# Warm the page cache so both sides read from memory.
cat db/migrations/* >/dev/null
reference=$(median_seconds "$runs" sh -c 'cat db/migrations/* | sha256sum')
mig_list=$(median_seconds "$runs" "$mig" list --format json)
memory=$(peak_megabytes "$mig" list --format json)

echo "catalog: $count migrations, $files files, median of $runs runs"
echo "  cat | sha256sum     ${reference}s"
echo "  mig list --format json  ${mig_list}s  ($(ratio "$mig_list" "$reference")x the reference, target <= 2x)"
echo "  mig peak memory     ${memory} MB (target < 100 MB)"
