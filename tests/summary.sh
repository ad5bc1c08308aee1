#!/usr/bin/env bash
# Sums the per-suite counts in $1 and prints the one closing line.
set -u
pass=0; fail=0
for f in "$1"/*.counts; do
  [ -f "$f" ] || continue
  read -r p q < "$f"; pass=$((pass + p)); fail=$((fail + q))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
