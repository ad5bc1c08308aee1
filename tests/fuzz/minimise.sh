#!/usr/bin/env bash
# Shrinks the committed corpora: minimise.sh BUILD_DIR TARGET...  Keeps the
# hand-written seeds and regression inputs (files not named by a SHA-1, as
# libFuzzer names what it finds) and, of the found inputs, only a set that
# covers the same features (libFuzzer -merge=1, smaller files first).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1; shift
for t in "$@"; do
  corpus="$top/tests/fuzz/corpus/$t" keep="$build/min/$t/keep" found="$build/min/$t/found"
  rm -rf "$build/min/$t" && mkdir -p "$keep" "$found"
  for f in "$corpus"/*; do
    [ -f "$f" ] || continue
    if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$found/"; else cp "$f" "$keep/"; fi
  done
  before=$(ls "$corpus" | wc -l)
  "$build/fuzz_$t" -merge=1 -close_fd_mask=3 "$keep" "$found" >"$build/min/$t.log" 2>&1
  rm -rf "$corpus" && mkdir -p "$corpus" && cp "$keep"/* "$corpus/"
  printf 'minimise %-12s %5d -> %5d inputs\n' "$t" "$before" "$(ls "$corpus" | wc -l)"
done
