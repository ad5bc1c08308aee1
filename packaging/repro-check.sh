#!/usr/bin/env bash
# Reproducibility check (make dist-check): clones the committed HEAD twice,
# at two different paths, builds `make dist deb` in each from empty build
# folders (sharing only build/deps, the static libwebsockets and cJSON) and
# compares every file of the two dist/ folders byte for byte. Exit 0 when
# all are identical, 1 otherwise (the differing files are named). Uncommitted
# changes are not part of the check. REPRO_KEEP=1 keeps the clones.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$top" rev-parse HEAD)
deps=$(readlink -f "$top/build/deps")
work=$(mktemp -d /tmp/fechatter-repro.XXXXXX)
cleanup() { [ -n "${REPRO_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
t0=$(date +%s)
# two different paths (and lengths), so a build path left in a file shows
dirs=("$work/a" "$work/second-clone/b")
for d in "${dirs[@]}"; do
	mkdir -p "$(dirname "$d")"
	git clone -q --no-checkout "$top" "$d"
	git -C "$d" checkout -q --detach "$commit"
	mkdir -p "$d/build"
	ln -s "$deps" "$d/build/deps"
	echo "repro: building dist and deb in $d"
	(cd "$d" && make -s -j"$(nproc)" dist deb >"$d.log" 2>&1) || { tail -30 "$d.log"; echo "repro: build failed in $d" >&2; exit 1; }
done
a=${dirs[0]}/dist b=${dirs[1]}/dist
bad=0
n=0
for f in $(cd "$a" && ls); do
	n=$((n + 1))
	if cmp -s "$a/$f" "$b/$f"; then
		printf 'identical  %s  %s\n' "$(sha256sum < "$a/$f" | cut -c1-16)" "$f"
	else
		printf 'DIFFERENT  %s\n' "$f"
		bad=1
	fi
done
[ "$(cd "$a" && ls)" = "$(cd "$b" && ls)" ] || { echo "repro: the two dist/ folders list different files"; bad=1; }
echo "repro: commit $commit, $n files, $(($(date +%s) - t0)) s: $([ $bad = 0 ] && echo "all identical" || echo "NOT reproducible")"
exit $bad
