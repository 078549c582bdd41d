# Shared helpers for the benchmark scripts: timing medians and peak memory of one command.
# Source it; needs GNU time at /usr/bin/time (Debian package `time`).

# median_seconds RUNS COMMAND...: runs COMMAND RUNS times (output discarded), prints the median wall time.
median_seconds() {
  local runs=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# peak_megabytes COMMAND...: the command's peak resident memory in MB.
peak_megabytes() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }'
}

# ratio A B: A / B with two decimals.
ratio() {
  echo "scale=2; $1 / $2" | bc -l
}

# release_mig: builds mig in release mode once, as README.md says to install it (the Swift runtime
# linked in: --static-swift-stdlib), and prints the binary's path. The build goes to
# MIG_SCRATCH_PATH when set (a build folder of its own beside a debug .build), else to .build.
release_mig() {
  local root scratch
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  scratch=$(cd "$root" && realpath -m "${MIG_SCRATCH_PATH:-.build}")
  (cd "$root" && swift build -c release --static-swift-stdlib --product mig --scratch-path "$scratch" >&2)
  echo "$scratch/release/mig"
}
