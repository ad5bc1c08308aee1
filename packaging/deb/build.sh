#!/usr/bin/env bash
# One Debian package (make deb): build.sh VERSION DEBARCH BINARY
#   VERSION   the release version (packaging/version.sh; its Debian form is
#             the package version)
#   DEBARCH   amd64, arm64 or armhf
#   BINARY    the static binary for it (build/dist/ARCH/fechatter)
# Writes DIST_DIR/fechatter_DEBVERSION_DEBARCH.deb (default dist/) with
#   /usr/bin/fechatter, /etc/fechatter/fechatter.conf (conffile),
#   /lib/systemd/system/fechatter.service, /usr/share/man/man1/fechatter.1.gz,
#   /usr/share/doc/fechatter/{copyright,changelog.gz}, lintian overrides,
# and the maintainer scripts in this folder (system user, data kept on
# remove and deleted on purge, systemd enable/start when systemd runs).
# Built with dpkg-deb --root-owner-group from a staging tree; reproducible
# (SOURCE_DATE_EPOCH, default the commit's time, for every date and mtime).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
export LC_ALL=C TZ=UTC
version=$1 debarch=$2 bin=$3
out=${DIST_DIR:-dist}
dv=$(sh packaging/version.sh --deb "$version")
case "$debarch" in
amd64) strip=strip ;;
arm64) strip=aarch64-linux-gnu-strip ;;
armhf) strip=arm-linux-gnueabihf-strip ;;
*) echo "deb: unknown architecture $debarch (amd64, arm64, armhf)" >&2; exit 2 ;;
esac
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
maint=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || echo 'Fechatter maintainers <fechatter@localhost.invalid>')}
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

root=build/deb/$debarch/root
rm -rf "build/deb/$debarch"
umask 022
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/etc/fechatter" "$root/lib/systemd/system" \
	"$root/usr/share/doc/fechatter" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"
"$strip" --strip-all -R .comment -o "$root/usr/bin/fechatter" "$bin"
chmod 0755 "$root/usr/bin/fechatter"
install -m 0644 packaging/fechatter.conf "$root/etc/fechatter/fechatter.conf"
install -m 0644 packaging/fechatter.service "$root/lib/systemd/system/fechatter.service"
install -m 0644 "$here/copyright" "$root/usr/share/doc/fechatter/copyright"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/fechatter"
gzip -9n < "$here/fechatter.1" > "$root/usr/share/man/man1/fechatter.1.gz"
chmod 0644 "$root/usr/share/man/man1/fechatter.1.gz"
{
	printf 'fechatter (%s) unstable; urgency=medium\n\n' "$dv"
	printf '  * Release %s, built from git commit %s.\n\n' "$version" "$commit"
	printf ' -- %s  %s\n' "$maint" "$(date -u -d "@$SOURCE_DATE_EPOCH" -R)"
} | gzip -9n > "$root/usr/share/doc/fechatter/changelog.gz"
chmod 0644 "$root/usr/share/doc/fechatter/changelog.gz"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
echo /etc/fechatter/fechatter.conf > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
(cd "$root" && find usr lib -type f | sort | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: fechatter
Version: $dv
Architecture: $debarch
Maintainer: $maint
Installed-Size: $size
Depends: adduser
Section: net
Priority: optional
Description: team chat server in one static binary
 Fechatter is a self-hosted team chat server: workspaces, channels, direct
 messages, threads, reactions, file uploads, full-text search and real-time
 delivery over WebSocket and server-sent events, with its web client built
 in. It is one statically linked program (libwebsockets, SQLite, libsodium)
 keeping its data in /var/lib/fechatter.
 .
 The package runs it as the system user fechatter under a hardened systemd
 unit, listening on 127.0.0.1:8080 (see /etc/fechatter/fechatter.conf).
CONTROL
chmod 0644 "$root/DEBIAN/control"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$out"
deb="$out/fechatter_${dv}_${debarch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.tmp" >/dev/null
mv "$deb.tmp" "$deb"
echo "deb: $deb ($(stat -c %s "$deb") bytes)"
