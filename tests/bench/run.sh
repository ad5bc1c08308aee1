#!/usr/bin/env bash
# Benchmarks: numbers and ratios against a baseline measured in the same run,
# never pass/fail on time. Exit status is non-zero only when a benchmark could
# not run or a correctness check failed (non-2xx sends, lost messages).
# usage: run.sh ABSOLUTE_PATH_OF_BINARY
set -uo pipefail
BIN="${1:?usage: run.sh BIN}"
[ -x "$BIN" ] || { echo "run.sh: $BIN is not an executable" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
need_tools wrk sqlite3 file strip

export BENCH_RESULTS
mktmp BENCH_RESULTS
BENCH_RESULTS="$BENCH_RESULTS/results"
: >"$BENCH_RESULTS"

log "fechatter benchmarks: $BIN"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), /tmp on $(stat -f -c %T /tmp)," \
	"$(node --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"

status=0
bash "$HERE/send.sh" "$BIN" >/dev/null || { log "send.sh failed"; status=1; }
bash "$HERE/startup.sh" "$BIN" >/dev/null || { log "startup.sh failed"; status=1; }
bash "$HERE/ws.sh" "$BIN" >/dev/null || { log "ws.sh failed"; status=1; }
bash "$HERE/cache.sh" "$BIN" >/dev/null || { log "cache.sh failed"; status=1; }
log "== stall: GET /health idle vs. 20 sign-ins in flight"
if out="$(timeout 200 node "$HERE/stall.mjs" "$BIN")"; then
	printf '%s\n' "$out" >>"$BENCH_RESULTS"
else
	log "stall.mjs failed"
	status=1
fi

r() { local v; v="$(grep "^$1=" "$BENCH_RESULTS" | tail -1 | cut -d= -f2-)"; printf '%s' "${v:-n/a}"; }

{
	echo
	echo "== summary (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
	printf '%-34s %14s %14s %10s\n' "send (wrk -t2 -c64 -d10s, full)" "group-commit" "off (base)" "on/off"
	printf '%-34s %14s %14s %10s\n' "sends/s" "$(r send_on_rps)" "$(r send_off_rps)" "$(r send_ratio)"
	printf '%-34s %14s %14s\n' "p50 latency ms" "$(r send_on_p50_ms)" "$(r send_off_p50_ms)"
	printf '%-34s %14s %14s\n' "p99 latency ms" "$(r send_on_p99_ms)" "$(r send_off_p99_ms)"
	printf '%-34s %14s %14s\n' "non-2xx / socket errors" "$(r send_on_non2xx) / $(r send_on_socket_errors)" \
		"$(r send_off_non2xx) / $(r send_off_socket_errors)"
	printf '%-34s %14s %14s\n' "commits (write batches)" "$(r send_on_commits)" "$(r send_off_commits)"
	printf '%-34s %14s %14s\n' "writes (write ops)" "$(r send_on_writes)" "$(r send_off_writes)"
	printf '%-34s %14s %14s\n' "group-commit factor writes/commit" "$(r send_on_factor)" "$(r send_off_factor)"
	printf '%-34s %14s %14s\n' "2xx answered / messages stored" "$(r send_on_requests)/$(r send_on_stored)" \
		"$(r send_off_requests)/$(r send_off_stored)"
	printf '%-34s %14s %14s\n' "1-min load average at start" "$(r send_on_loadavg)" "$(r send_off_loadavg)"
	printf '%-34s %14s %14s\n' "storage check" "$(r send_on_check)" "$(r send_off_check)"
	echo
	printf '%-34s %s\n' "startup exec->200 /health" "median $(r startup_median_ms) ms (min $(r startup_min_ms), max $(r startup_max_ms), 10 starts)"
	printf '%-34s %s\n' "RSS idle / after 1 signup+100 msgs" "$(r rss_idle_kb) KiB / $(r rss_after_100msg_kb) KiB (peak VmHWM $(r rss_peak_kb) KiB)"
	printf '%-34s %s\n' "binary / stripped" "$(r binary_bytes) B / $(r stripped_bytes) B"
	printf '%-34s %s\n' "file" "$(r file)"
	echo
	printf '%-34s %14s %14s %10s\n' "GET /health (1000 sequential)" "idle" "20 sign-ins" "load/idle"
	printf '%-34s %14s %14s\n' "p50 ms" "$(r stall_idle_p50_ms)" "$(r stall_load_p50_ms)"
	printf '%-34s %14s %14s %10s\n' "p99 ms" "$(r stall_idle_p99_ms)" "$(r stall_load_p99_ms)" "$(r stall_p99_ratio)"
	printf '%-34s %14s %14s\n' "max ms" "$(r stall_idle_max_ms)" "$(r stall_load_max_ms)"
	printf '%-34s %s\n' "sign-ins during / non-200" "$(r stall_signins_during) in $(r stall_load_secs) s / $(r stall_signin_non200) (sign-in p50 $(r stall_signin_p50_ms) ms, p99 $(r stall_signin_p99_ms) ms)"
	printf '%-34s %s\n' "/health non-200" "$(r stall_health_non200)"
}

for m in on off; do
	c="$(r send_${m}_check)"
	[ "$c" = '"ok"' ] || { echo "correctness: send $m: $c" >&2; status=1; }
done
exit $status
