#!/usr/bin/env bash
# Installs what the build and the tests need, from Debian only, and builds the
# two libraries Debian ships no usable static archive of (libwebsockets with
# mbedTLS, cJSON) from Debian's own source packages into build/deps.
# Idempotent: every step is skipped when its result is already there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deps="$top/build/deps"
prefix="$deps/prefix"
mkdir -p "$deps"

# what building needs (all `make run` installs: `deps.sh --run`) ...
want_pkgs=(build-essential cmake pkg-config dpkg-dev ca-certificates
  libsqlite3-dev libsodium-dev libmbedtls-dev zlib1g-dev libminizip-dev)
# ... and what the tests add
if [ "${1:-}" != "--run" ]; then
  want_pkgs+=(file zip libcmocka-dev nodejs curl sqlite3 chromium fonts-noto-color-emoji
    nginx-light caddy openssl clang-format cppcheck strace)
fi
# `deps.sh --fuzz` (make fuzz) adds the fuzzing toolchain; make run and make
# test never need clang
if [ "${1:-}" = "--fuzz" ]; then
  want_pkgs+=(clang-15 libfuzzer-15-dev)
fi
# `deps.sh --bench` (make bench, make bench-capacity) adds the load tools and
# the chart: wrk, gnuplot-nox, taskset (util-linux)
if [ "${1:-}" = "--bench" ]; then
  want_pkgs+=(wrk gnuplot-nox util-linux binutils)
fi
# `deps.sh --cluster` (make cluster, make test-cluster) adds PostgreSQL and NATS:
# the client libraries fechatter-cluster links, and the servers its tests run
if [ "${1:-}" = "--cluster" ]; then
  want_pkgs+=(libpq-dev libnats-dev postgresql-15 postgresql-client-15 nats-server)
fi
missing=()
for p in "${want_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from another channel than Debian's package; accept any node >= 18
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
# any nginx will do for the proxy test (nginx-light is the smallest)
if [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; then
  missing=("${missing[@]/nginx-light}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The reverse proxies are run only by tests/e2e/proxy.test.mjs (on free
# loopback ports): the service a fresh install starts is stopped and disabled
for p in "${missing[@]}"; do
  case "$p" in nginx-light) svc=nginx ;; caddy) svc=caddy ;; *) continue ;; esac
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
  echo "deps: $svc installed for the tests; its service is stopped and disabled"
done

# A private apt configuration with deb-src entries, derived from the
# machine's own sources (the machine's configuration is left untouched).
apt_opts=()
setup_src_apt() {
  local d="$deps/apt"
  mkdir -p "$d/lists/partial" "$d/sources.list.d"
  : > "$d/sources.list"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -e 's/^Types:.*/Types: deb-src/' "$f" > "$d/sources.list.d/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    grep -E '^deb ' "$f" | sed -e 's/^deb /deb-src /' >> "$d/sources.list" || true
  done
  apt_opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o "Dir::Etc::SourceParts=$d/sources.list.d"
    -o "Dir::State::Lists=$d/lists" -o "APT::Sandbox::User=root")
  if [ ! -f "$d/.updated" ]; then
    apt-get "${apt_opts[@]}" update -qq
    touch "$d/.updated"
  fi
}

fetch_src() { # $1 source package, $2 glob of its unpacked folder
  local dir
  dir=$(ls -d "$deps"/$2 2>/dev/null | head -1 || true)
  if [ -z "$dir" ]; then
    [ ${#apt_opts[@]} -gt 0 ] || setup_src_apt
    (cd "$deps" && apt-get "${apt_opts[@]}" source -qq "$1" >/dev/null)
    dir=$(ls -d "$deps"/$2 | head -1)
  fi
  echo "$dir"
}

# libwebsockets 4.1.6 with mbedTLS, static, from the Debian source package.
# $1 install prefix, $2 build folder, then extra cmake arguments (a cross
# compiler and its mbedTLS).
build_lws() {
  local into=$1 dir=$2 src
  shift 2
  src=$(fetch_src libwebsockets 'libwebsockets-4.1.6')
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && cmake "$src" "$@" -DCMAKE_INSTALL_PREFIX="$into" -DCMAKE_BUILD_TYPE=Release \
    -DLWS_WITH_MBEDTLS=ON -DLWS_WITH_STATIC=ON -DLWS_WITH_SHARED=OFF -DLWS_IPV6=ON \
    -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITH_PLUGINS=OFF -DLWS_WITHOUT_EXTENSIONS=ON \
    -DLWS_HAVE_LIBCAP=OFF -DLWS_WITH_MINIMAL_EXAMPLES=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null \
    && make -j"$(nproc)" >/dev/null && make install >/dev/null)
}

# cJSON as a static archive, from the Debian source package.
# $1 install prefix, $2 compiler, $3 archiver, then extra compiler flags.
build_cjson() {
  local into=$1 cc=$2 ar=$3 src obj
  shift 3
  src=$(fetch_src cjson 'cjson-*')
  obj="$deps/cJSON-$(basename "$into").o"
  mkdir -p "$into/lib" "$into/include/cjson"
  "$cc" -O2 -fPIC -std=c89 "$@" -c "$src/cJSON.c" -o "$obj"
  "$ar" rcs "$into/lib/libcjson.a" "$obj"
  cp "$src/cJSON.h" "$into/include/cjson/"
}

if [ ! -f "$prefix/lib/libwebsockets.a" ]; then
  build_lws "$prefix" "$deps/lws-build"
  echo "deps: libwebsockets built"
fi

if [ ! -f "$prefix/lib/libcjson.a" ]; then
  build_cjson "$prefix" gcc ar
  echo "deps: cJSON built"
fi

# ---- cross builds (make ARCH=arm64|armhf): only when ARCH asks for them.
# Debian's cross compiler, the multiarch -dev packages of the target, qemu-user
# for the tests, and libwebsockets/cJSON from the same source packages built
# with the cross compiler into build/deps/prefix-$ARCH.
cross_deps() { # $1 Debian architecture
  local arch=$1 triplet proc
  case "$arch" in
    arm64) triplet=aarch64-linux-gnu proc=aarch64 ;;
    armhf) triplet=arm-linux-gnueabihf proc=armv7l ;;
    *) echo "deps: unknown ARCH=$arch (arm64 or armhf)" >&2; exit 2 ;;
  esac
  local xprefix="$deps/prefix-$arch" xbuild="$deps/lws-build-$arch"
  # the same 64-bit off_t and time_t as the Makefile's LFS (32-bit targets)
  local xflags="-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
  if [ "$(cat "$xprefix/.cflags" 2>/dev/null)" != "$xflags" ]; then
    rm -f "$xprefix/lib/libwebsockets.a" "$xprefix/lib/libcjson.a"
  fi
  local xpkgs=("gcc-$triplet" "binutils-$triplet" qemu-user-static
    "libc6-dev:$arch" "libsqlite3-dev:$arch" "libsodium-dev:$arch" "libmbedtls-dev:$arch" "libcmocka-dev:$arch" "zlib1g-dev:$arch" "libminizip-dev:$arch")
  local xmissing=() p
  for p in "${xpkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || xmissing+=("$p")
  done
  if [ ${#xmissing[@]} -gt 0 ]; then
    echo "deps: installing ${xmissing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${xmissing[@]}"
  fi
  if [ ! -f "$xprefix/lib/libwebsockets.a" ]; then
    local mlib="/usr/lib/$triplet"
    build_lws "$xprefix" "$xbuild" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$proc" \
      -DCMAKE_C_COMPILER="$triplet-gcc" -DCMAKE_AR="$(command -v "$triplet-ar")" \
      -DCMAKE_RANLIB="$(command -v "$triplet-ranlib")" -DCMAKE_LIBRARY_ARCHITECTURE="$triplet" \
      -DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER -DCMAKE_C_FLAGS="$xflags" \
      -DLWS_MBEDTLS_INCLUDE_DIRS=/usr/include \
      -DLWS_MBEDTLS_LIBRARIES="$mlib/libmbedtls.a;$mlib/libmbedx509.a;$mlib/libmbedcrypto.a"
    echo "deps: libwebsockets built for $arch"
  fi
  if [ ! -f "$xprefix/lib/libcjson.a" ]; then
    build_cjson "$xprefix" "$triplet-gcc" "$triplet-ar" $xflags
    echo "deps: cJSON built for $arch"
  fi
  echo "$xflags" > "$xprefix/.cflags"
}
case "${ARCH:-}" in
  "" | x86_64 | amd64) ;;
  *) cross_deps "$ARCH" ;;
esac
# ---- end of the cross block

# npm packages for the end-to-end tests (from the npm registry), again
# whenever package.json or the lock file changed
if [ "${1:-}" != "--run" ] && [ -f "$top/tests/package.json" ]; then
  stamp="$top/tests/node_modules/.fechatter-stamp"
  sum=$(cat "$top/tests/package.json" "$top/tests/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    (cd "$top/tests" && npm install --no-audit --no-fund --silent) && echo "$sum" > "$stamp"
  fi
fi
echo "deps: ready"
