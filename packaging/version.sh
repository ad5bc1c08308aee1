#!/bin/sh
# The release version, from `git describe` of this checkout (the Makefile's
# VERSION; `make print-version` shows it):
#   on the tag v1.2.0                      1.2.0
#   3 commits after it                     1.2.0-3-gabc1234
#   with uncommitted changes               1.2.0-3-gabc1234-dirty
#   no v<digit> tag yet (N commits)        0.0.0-N-gabc1234[-dirty]
#   no git, or not a checkout              0.0.0-unknown
# `version.sh --deb [VERSION]` prints the Debian form of VERSION (default
# this checkout's): the -N-gHASH suffix becomes +N.gHASH and -dirty .dirty,
# so it orders after the tag and before the next one (1.2.0+3.gabc1234);
# a pre-release tag v1.3.0-rc1 becomes 1.3.0~rc1 (before 1.3.0).
# Reproducible: depends only on the commit and the tags, never on the clock.
set -eu
cd "$(dirname "$0")/.."

describe() {
	if ! command -v git >/dev/null 2>&1 || ! git rev-parse --git-dir >/dev/null 2>&1; then
		echo 0.0.0-unknown
		return
	fi
	if v=$(git describe --tags --match 'v[0-9]*' --abbrev=7 --dirty 2>/dev/null); then
		echo "${v#v}"
		return
	fi
	# no release tag: count from the first commit as if it were v0.0.0
	h=$(git describe --always --abbrev=7 --dirty 2>/dev/null) || { echo 0.0.0-unknown; return; }
	echo "0.0.0-$(git rev-list --count HEAD)-g$h"
}

check() { # a version goes into file names, a C string and a Debian control file
	case "$1" in
	[0-9]*) ;;
	*) echo "version.sh: '$1' does not start with a digit" >&2; exit 2 ;;
	esac
	if printf '%s' "$1" | LC_ALL=C grep -q '[^0-9A-Za-z.+~-]'; then
		echo "version.sh: '$1' may hold only letters, digits and . + ~ -" >&2
		exit 2
	fi
}

if [ "${1:-}" = --deb ]; then
	v=${2:-$(describe)}
	check "$v"
	printf '%s\n' "$v" | sed -e 's/-\([0-9][0-9]*\)-g\([0-9a-f][0-9a-f]*\)/+\1.g\2/' \
		-e 's/-\(rc\|alpha\|beta\|pre\)/~\1/' -e 's/-/./g'
else
	v=$(describe)
	check "$v"
	echo "$v"
fi
