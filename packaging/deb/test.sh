#!/usr/bin/env bash
# The Debian package, tested for real (make test-deb; root, Debian 12):
#   build the amd64 .deb, lintian (fails on any error or warning),
#   systemd-analyze verify and security (exposure <= 2.0) of the unit,
#   dpkg -i: user, data folder, conffile; run the unit's ExecStart as the
#   service user (systemd need not be PID 1: setpriv with the unit's
#   User=, NoNewPrivileges=, empty CapabilityBoundingSet=, UMask= and
#   LimitNOFILE=, and its SystemCallFilter= lines as a seccomp allow list
#   that kills on any other call, see seccomp-run.c), /health answers, an
#   account and a message are made, SIGTERM stops it with exit 0;
#   a second .deb with a higher version over it (upgrade): the data, the
#   user and a local change to the conffile are kept, the new binary runs
#   and finds the message;
#   dpkg -r keeps data, user and config; dpkg --purge leaves nothing.
# Cleans up after itself (also when it fails) and can run again. A fechatter
# package installed by anything else than this test is left alone: the test
# refuses to run then.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
t0=$(date +%s)
step() { printf 'test-deb: %s\n' "$*"; }
fail() { printf 'test-deb: FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i, a system user)"

marker=/var/lib/fechatter/.fechatter-test-deb
if dpkg-query -W -f='${Status}' fechatter 2>/dev/null | grep -q 'installed\|config-files'; then
	[ -f "$marker" ] || fail "a fechatter package is installed (not by this test): not touching it"
	step "purging the package an interrupted earlier run left"
	dpkg --purge fechatter >/dev/null
fi
# what the test needs beyond make test's packages
need=()
for p in lintian adduser curl dpkg-dev gcc libseccomp-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	step "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/fechatter-test-deb.XXXXXX)
chmod 0755 "$work" # the service user runs $work/seccomp-run
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
	if dpkg-query -W -f='${Status}' fechatter 2>/dev/null | grep -q 'installed\|config-files'; then
		dpkg --purge fechatter >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

v1=$(make -s --no-print-directory print-version)
v2="$v1-upgrade1"
dv1=$(sh packaging/version.sh --deb "$v1")
dv2=$(sh packaging/version.sh --deb "$v2")
dpkg --compare-versions "$dv2" gt "$dv1" || fail "$dv2 does not order after $dv1"
step "building $dv1 and $dv2 (amd64)"
make -s --no-print-directory deb DEB_ARCHES=amd64 DIST_DIR="$work/v1" VERSION="$v1" >"$work/build1.log" 2>&1 ||
	{ tail -20 "$work/build1.log"; fail "make deb"; }
make -s --no-print-directory deb DEB_ARCHES=amd64 DIST_DIR="$work/v2" VERSION="$v2" >"$work/build2.log" 2>&1 ||
	{ tail -20 "$work/build2.log"; fail "make deb (upgrade)"; }
deb1=$work/v1/fechatter_${dv1}_amd64.deb
deb2=$work/v2/fechatter_${dv2}_amd64.deb
[ -f "$deb1" ] && [ -f "$deb2" ] || fail "no .deb built"

step "lintian (fails on errors and warnings; overrides carry their reasons)"
lintian --pedantic -I --fail-on error,warning "$deb1" 2>&1 | grep -v 'running with root privileges' || true
lintian --fail-on error,warning "$deb1" >/dev/null 2>&1 || fail "lintian"

unit=/lib/systemd/system/fechatter.service
gcc -O2 -Wall -Wextra -o "$work/seccomp-run" "$here/seccomp-run.c" -lseccomp || fail "building seccomp-run"

# The system calls a unit's SystemCallFilter= lines allow: the union of the
# allow lines minus the ~deny lines, groups (@name) expanded by systemd.
expand_calls() {
	systemd-analyze syscall-filter "$1" | tail -n +2 | sed -e 's/^ *//' -e '/^#/d' -e '/^$/d' |
		while read -r n; do
			case "$n" in
			@*) expand_calls "$n" ;;
			*) echo "$n" ;;
			esac
		done
}
syscall_allow_list() { # $1 unit file, $2 output
	local line v item allow=$work/allow.raw deny=$work/deny.raw
	: > "$allow"
	: > "$deny"
	while IFS= read -r line; do
		v=${line#SystemCallFilter=}
		local to=$allow
		case "$v" in "~"*) to=$deny v=${v#\~} ;; esac
		for item in $v; do
			case "$item" in
			@*) expand_calls "$item" >> "$to" ;;
			*) echo "$item" >> "$to" ;;
			esac
		done
	done < <(grep '^SystemCallFilter=' "$1")
	sort -u "$allow" > "$allow.s"
	sort -u "$deny" > "$deny.s"
	comm -23 "$allow.s" "$deny.s" > "$2"
	[ -s "$2" ] || fail "the unit allows no system call"
}
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
url=http://127.0.0.1:$port

# Runs the installed unit's ExecStart as its User= with its restrictions
# (what setpriv can apply without systemd), on $port (FECHATTER_PORT wins
# over the config file), in the background: $pid.
start_service() {
	local exec user umask nofile
	exec=$(sed -n 's/^ExecStart=//p' "$unit")
	user=$(sed -n 's/^User=//p' "$unit")
	umask=$(sed -n 's/^UMask=//p' "$unit")
	nofile=$(sed -n 's/^LimitNOFILE=//p' "$unit")
	[ -n "$exec" ] && [ "$user" = fechatter ] || fail "unit: no ExecStart= or User=fechatter"
	syscall_allow_list "$unit" "$work/syscalls"
	grep -qx 'CapabilityBoundingSet=' "$unit" && grep -qx 'NoNewPrivileges=yes' "$unit" ||
		fail "unit: no empty CapabilityBoundingSet= or NoNewPrivileges=yes"
	(
		# LimitNOFILE=, or the hard limit where a container caps it lower
		ulimit -n "$nofile" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
		umask "$umask"
		cd /
		exec setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs \
			--bounding-set=-all --inh-caps=-all --ambient-caps=-all \
			"$work/seccomp-run" "$work/syscalls" \
			/usr/bin/env -i PATH=/usr/bin:/bin FECHATTER_PORT="$port" $exec
	) >>"$work/server.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 300); do
		curl -fsS -o "$work/health.json" "$url/health" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; fail "the server exited"; }
		sleep 0.1
	done
	cat "$work/server.log"
	fail "no /health answer within 30 s"
}
stop_service() {
	kill -TERM "$pid"
	local code=0
	wait "$pid" || code=$?
	pid=
	[ "$code" = 0 ] || { cat "$work/server.log"; fail "the server exited $code after SIGTERM"; }
}
health_version() { sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$work/health.json"; }

step "dpkg -i $(basename "$deb1")"
dpkg -i "$deb1" >/dev/null
touch "$marker"
getent passwd fechatter >/dev/null || fail "no user fechatter"
uid=$(id -u fechatter)
[ "$uid" -lt 1000 ] || fail "fechatter is not a system user (uid $uid)"
[ "$(stat -c '%U:%G %a' /var/lib/fechatter)" = "fechatter:fechatter 700" ] ||
	fail "/var/lib/fechatter: $(stat -c '%U:%G %a' /var/lib/fechatter)"
dpkg-query -W -f='${Conffiles}\n' fechatter | grep -q '/etc/fechatter/fechatter.conf' || fail "fechatter.conf is no conffile"
[ "$(/usr/bin/fechatter version)" = "fechatter $v1 linux-x86_64" ] || fail "fechatter version: $(/usr/bin/fechatter version)"
/usr/bin/fechatter --check-config --config /etc/fechatter/fechatter.conf >/dev/null || fail "the installed config does not load"

step "systemd-analyze verify and security of the installed unit"
systemd-analyze verify "$unit" || fail "systemd-analyze verify"
systemd-analyze security --offline=true --threshold=20 "$unit" | tail -1
systemd-analyze security --offline=true --threshold=20 "$unit" >/dev/null || fail "exposure above 2.0"

step "ExecStart as user fechatter on port $port"
start_service
[ "$(health_version)" = "$v1" ] || fail "/health version $(health_version), want $v1"
[ "$(stat -c %u /proc/$pid)" = "$uid" ] || fail "the server does not run as fechatter"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "no_new_privs not set"
grep -q '^CapBnd:[[:space:]]*0000000000000000' "/proc/$pid/status" || fail "capability bounding set not empty"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || fail "no system call filter on the server"
node "$here/smoke.mjs" "$url" create
stop_service
[ -s /var/lib/fechatter/fechatter.db ] || fail "no database in /var/lib/fechatter"
[ "$(stat -c %U /var/lib/fechatter/fechatter.db)" = fechatter ] || fail "the database is not the service user's"
[ "$(stat -c %a /var/lib/fechatter/jwt_ed25519.key)" = 600 ] || fail "signing key mode"

step "upgrade to $dv2 (with a local change to the conffile)"
echo "# a local change (test-deb)" >> /etc/fechatter/fechatter.conf
conf_sum=$(md5sum < /etc/fechatter/fechatter.conf)
dpkg -i "$deb2" >/dev/null
[ "$(dpkg-query -W -f='${Version}' fechatter)" = "$dv2" ] || fail "not upgraded"
[ "$(id -u fechatter)" = "$uid" ] || fail "the user changed"
[ "$(md5sum < /etc/fechatter/fechatter.conf)" = "$conf_sum" ] || fail "the local conffile change was lost"
[ ! -e /etc/fechatter/fechatter.conf.dpkg-dist ] || fail "dpkg asked about the conffile"
start_service
[ "$(health_version)" = "$v2" ] || fail "/health version $(health_version) after the upgrade, want $v2"
node "$here/smoke.mjs" "$url" verify
stop_service

step "dpkg -r: data, user and config stay"
dpkg -r fechatter >/dev/null
[ ! -e /usr/bin/fechatter ] || fail "/usr/bin/fechatter left after remove"
[ -s /var/lib/fechatter/fechatter.db ] || fail "remove deleted the data"
getent passwd fechatter >/dev/null || fail "remove deleted the user"
[ -f /etc/fechatter/fechatter.conf ] || fail "remove deleted the config"

step "dpkg --purge: nothing left"
dpkg --purge fechatter >/dev/null
left=()
[ ! -e /var/lib/fechatter ] || left+=(/var/lib/fechatter)
[ ! -e /etc/fechatter ] || left+=(/etc/fechatter)
[ ! -e "$unit" ] || left+=("$unit")
for f in /etc/systemd/system/multi-user.target.wants/fechatter.service \
	/var/lib/systemd/deb-systemd-helper-enabled/fechatter.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/fechatter.service \
	/var/lib/systemd/deb-systemd-helper-masked/fechatter.service; do
	[ ! -e "$f" ] || left+=("$f")
done
getent passwd fechatter >/dev/null && left+=("user fechatter")
getent group fechatter >/dev/null && left+=("group fechatter")
dpkg-query -W fechatter >/dev/null 2>&1 && left+=("dpkg still knows fechatter")
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
step "ok ($(($(date +%s) - t0)) s)"
