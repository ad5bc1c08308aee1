#!/usr/bin/env bash
# Release archives (make dist):
#   dist.sh VERSION ARCH...   one DIST_DIR/fechatter-VERSION-linux-ARCH.tar.gz
#                             per ARCH (x86_64, arm64, armhf) from
#                             build/dist/ARCH/fechatter, then SHA256SUMS
#   dist.sh --sums VERSION    only SHA256SUMS (after make deb)
# Each archive holds one folder fechatter-VERSION-linux-ARCH/ with the
# stripped binary, README.md, fechatter.service and fechatter.conf.
# Reproducible: every member's time is SOURCE_DATE_EPOCH (default: the
# commit's time), owner 0:0, sorted names, fixed modes, gzip without a name
# or a time stamp; the binary must not hold the build path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export LC_ALL=C TZ=UTC
out=${DIST_DIR:-dist}
mkdir -p "$out"

sums() { # SHA256SUMS over this version's archives and packages
	local v=$1 dv
	dv=$(sh packaging/version.sh --deb "$v")
	(
		cd "$out"
		shopt -s nullglob
		local files=("fechatter-$v-linux-"*.tar.gz "fechatter_${dv}_"*.deb)
		rm -f SHA256SUMS
		[ ${#files[@]} -eq 0 ] || sha256sum "${files[@]}" > SHA256SUMS.tmp
		mv SHA256SUMS.tmp SHA256SUMS
	)
}

if [ "${1:-}" = --sums ]; then
	sums "$2"
	exit 0
fi
version=$1
shift
sh packaging/version.sh --deb "$version" >/dev/null # refuses a malformed VERSION
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

stage=build/dist/stage
rm -rf "$stage"
for arch in "$@"; do
	case "$arch" in
	x86_64) strip=strip ;;
	arm64) strip=aarch64-linux-gnu-strip ;;
	armhf) strip=arm-linux-gnueabihf-strip ;;
	*) echo "dist: unknown architecture $arch (x86_64, arm64, armhf)" >&2; exit 2 ;;
	esac
	bin=build/dist/$arch/fechatter
	name=fechatter-$version-linux-$arch
	rm -rf "${stage:?}/$name"
	mkdir -p "$stage/$name"
	"$strip" --strip-all -R .comment -o "$stage/$name/fechatter" "$bin"
	chmod 0755 "$stage/$name/fechatter"
	if grep -q -F -a "$top" "$stage/$name/fechatter"; then
		echo "dist: $bin holds the build path $top (not reproducible)" >&2
		exit 1
	fi
	install -m 0644 README.md packaging/fechatter.service packaging/fechatter.conf "$stage/$name/"
	tar -C "$stage" --sort=name --format=gnu --owner=0 --group=0 --numeric-owner \
		--mode='u=rwX,go=rX' --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" |
		gzip -9 -n > "$out/$name.tar.gz.tmp"
	mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
	printf 'dist: %s (binary %s bytes stripped)\n' "$out/$name.tar.gz" "$(stat -c %s "$stage/$name/fechatter")"
done
sums "$version"
cat "$out/SHA256SUMS"
