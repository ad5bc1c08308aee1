#!/usr/bin/env bash
# make lint (and a step of make test): the C sources given as arguments (the
# Makefile's LINT_SRCS: appliance/, tests/unit/, tests/fuzz/; make format
# rewrites the same list) checked two ways, one check each:
#   format    clang-format --dry-run -Werror against the committed
#             .clang-format: passed when no file differs (make format fixes
#             them); prints how many differ and which
#   cppcheck  cppcheck --enable=warning,portability,performance over the .c
#             files (headers through their includes): passed when it reports
#             nothing. A false positive is silenced where it occurs, with
#             its reason: /* cppcheck-suppress <id> ; why */ on the line
#             before.
# Writes "pass fail" per check into $RESULTS (when set), as tests/run-unit.sh
# does, so that tests/summary.sh counts a lint failure as a failed check.
# Both tools are Debian packages installed by packaging/deps.sh.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
results=${RESULTS:-$top/build/lint}
mkdir -p "$results"
rc=0
[ $# -gt 0 ] || { echo "usage: tests/lint.sh FILE.c|FILE.h..." >&2; exit 2; }

record() { # $1 check, $2 0 passed / 1 failed
  if [ "$2" -eq 0 ]; then echo "1 0"; else echo "0 1"; fi > "$results/lint-$1.counts"
  [ "$2" -eq 0 ] || rc=1
}

# ---- clang-format
log="$results/lint-format.log"
if ! command -v clang-format >/dev/null 2>&1; then
  echo "lint format   FAILED: clang-format is not installed (bash packaging/deps.sh)"
  record format 1
else
  clang-format --dry-run -Werror "$@" >"$log" 2>&1
  code=$?
  differ=$(grep -oE '^[^:]+:[0-9]+:[0-9]+: error: code should be clang-formatted' "$log" | cut -d: -f1 | sort -u)
  n=$(printf '%s' "$differ" | grep -c . || true)
  if [ "$code" -eq 0 ] && [ "$n" -eq 0 ]; then
    printf 'lint format   %d files, passed\n' "$#"
    record format 0
  else
    printf 'lint format   FAILED: %d of %d files differ from .clang-format (make format rewrites them)\n' "$n" "$#"
    printf '%s\n' "$differ" | head -20 | sed 's/^/  /'
    [ "$n" -le 20 ] || echo "  ... (all of them in $log)"
    [ "$n" -gt 0 ] || head -5 "$log"   # clang-format itself failed
    record format 1
  fi
fi

# ---- cppcheck
log="$results/lint-cppcheck.log"
csrcs=()
for f in "$@"; do case "$f" in *.c) csrcs+=("$f") ;; esac; done
if ! command -v cppcheck >/dev/null 2>&1; then
  echo "lint cppcheck FAILED: cppcheck is not installed (bash packaging/deps.sh)"
  record cppcheck 1
else
  # results of unchanged files are kept between runs in build/cppcheck
  mkdir -p build/cppcheck
  # -D_GNU_SOURCE as the Makefile: cppcheck checks that one configuration
  cppcheck -q --std=c11 --enable=warning,portability,performance --inline-suppr \
    --error-exitcode=1 --suppress=missingIncludeSystem -D_GNU_SOURCE \
    -I appliance -I tests/unit -I tests/fuzz --cppcheck-build-dir=build/cppcheck \
    -j "$(nproc)" --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
    "${csrcs[@]}" >"$log" 2>&1
  code=$?
  n=$(grep -cE '^[^ :]+:[0-9]+:[0-9]+: [a-z]+: ' "$log" || true)
  if [ "$code" -eq 0 ] && [ "$n" -eq 0 ]; then
    printf 'lint cppcheck %d files, passed\n' "${#csrcs[@]}"
    record cppcheck 0
  else
    printf 'lint cppcheck FAILED: %d findings in %d files (exit %d)\n' "$n" "${#csrcs[@]}" "$code"
    grep -E '^[^ :]+:[0-9]+:[0-9]+: [a-z]+: ' "$log" | head -20 | sed 's/^/  /'
    [ "$n" -gt 0 ] || head -5 "$log"   # cppcheck itself failed
    record cppcheck 1
  fi
fi
exit $rc
