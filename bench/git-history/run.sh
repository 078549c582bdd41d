#!/usr/bin/env bash
# Benchmarks `mig history` (without and with its cache) and `mig check --base main` against
# `git log --format=%H --name-status -- db/migrations` on one generated repository.
#
# usage: bench/git-history/run.sh [COMMITS] [MIGRATIONS] [OTHER_FILES] [RUNS]
# (defaults 100000 5000 3000 5). Builds mig in release mode; the repository goes to bench/work/.
set -euo pipefail
cd "$(dirname "$0")/../.."
commits=${1:-100000}
migrations=${2:-5000}
others=${3:-3000}
runs=${4:-5}
repo="bench/work/history-$commits-$migrations-$others"

swift build -c release --product mig >/dev/null
mig="$PWD/.build/release/mig"

if [ ! -d "$repo/.git" ]; then
  echo "generating $repo ..."
  rm -rf "$repo"
  git -c init.defaultBranch=main init -q "$repo"
  python3 bench/git-history/generate.py "$commits" "$migrations" "$others" | git -C "$repo" fast-import --quiet
  git -C "$repo" checkout -q feature
fi
echo "repository: $(git -C "$repo" rev-list --count --all) commits, $(git -C "$repo" ls-tree -r main --name-only | wc -l) files on main"

# Runs a command $runs times; prints the median wall time (s) and the largest peak RSS (MB).
measure() {
  local label=$1
  shift
  local times=() peak=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/mig-bench-time "$@" >/dev/null 2>&1 || true
    read -r seconds kilobytes </tmp/mig-bench-time
    times+=("$seconds")
    [ "$kilobytes" -gt "$peak" ] && peak=$kilobytes
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-28s median %6.2f s   peak %6.1f MB\n' "$label" "$median" "$(echo "$peak / 1024" | bc -l)"
  echo "$median" >"/tmp/mig-bench-$label"
}

measure git-log git -C "$repo" log main --format=%H --name-status -- db/migrations
measure mig-history "$mig" -C "$repo" history main --no-cache
"$mig" -C "$repo" history main >/dev/null   # fills .migrate/cache
measure mig-history-cached "$mig" -C "$repo" history main
measure mig-check "$mig" -C "$repo" check --base main
base=$(cat /tmp/mig-bench-git-log)
for label in mig-history mig-history-cached mig-check; do
  printf '%-28s %.2fx git log\n' "$label" "$(echo "$(cat /tmp/mig-bench-$label) / $base" | bc -l)"
done
