#!/bin/bash
#
# bench-rangegc.sh: the cost of revoking many port ranges (issue 9): a
# receiver linked to NSRC sources of 256 port ranges each (48: 12,288
# range elements) is stopped while another client links and unlinks a
# single-port source as fast as iccd answers.  Prints one row:
#
#   ranges  stop_reply_ms  other_max_ms  other_p99_ms  drain_s  elements/s
#
# stop reply: `iccctl stop` from exec to exit (the pairs' deletes; the
# ranges go to the range garbage queue, iccd(8)); other_max/p99: the
# other client's round trips while the queue drains (bench_client churn,
# 5 s windows until it is empty); drain: from the stop reply until
# `iccctl status` shows the queue empty.  An iccd without the queue
# (ICC_BUILDDIR of an older build) shows the old cost: the whole delete
# in the stop's transaction, drain 0.
#
#   bench-rangegc.sh [--sources N]      (root; exit 77 when not root)
#
# Everything happens in a scratch network namespace of its own (no
# traffic), removed with iccd and its files by a trap however it ends.

set -u
export LC_ALL=C

NSRC=48
while [ $# -gt 0 ]; do
	case $1 in
	--sources) NSRC=$2; shift 2 ;;
	*) echo "usage: bench-rangegc.sh [--sources N]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "bench-rangegc.sh: needs jq" >&2; exit 1; }

SRCDIR=${ICC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${ICC_BUILDDIR:-$SRCDIR}
ICCD=$BUILDDIR/src/iccd/iccd
ICCCTL=$BUILDDIR/src/iccctl/iccctl
CLIENT=$BUILDDIR/tests/bench/bench_client
for f in "$ICCD" "$ICCCTL" "$CLIENT"; do
	[ -x "$f" ] || { echo "bench-rangegc.sh: $f not built (make bench builds it)" >&2; exit 1; }
done

RUN=bgc$$x$RANDOM
NS=$RUN
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$RUN.XXXXXX") || exit 1
SOCK=$TMP/sock
PID=
CHURN=

cleanup() {
	[ -z "$CHURN" ] || kill "$CHURN" 2>/dev/null
	[ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() { echo "bench-rangegc.sh: FAILED: $*" >&2; exit 1; }
ctl() { ICCD_SOCKET=$SOCK ip netns exec "$NS" "$ICCCTL" --timeout 600 "$@"; }
now_ns() { local t=${EPOCHREALTIME/./}; echo $((10#$t * 1000)); }

ip netns add "$NS" || die "ip netns add"
# ICCD_ARGS: more iccd options (e.g. --log-level debug: a line per chunk).
# shellcheck disable=SC2086
ip netns exec "$NS" "$ICCD" --foreground --socket "$SOCK" \
	--state-dir "$TMP/state" ${ICCD_ARGS:-} >"$TMP/iccd.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
	ctl status >/dev/null 2>&1 && break
	sleep 0.1
done
ctl status >/dev/null || die "iccd did not come up: $(tail -n 3 "$TMP/iccd.log")"

exposes=()
for j in $(seq 0 255); do
	exposes+=(--expose "$((10000 + 10 * j))-$((10004 + 10 * j))/tcp")
done
links=()
for i in $(seq 1 "$NSRC"); do
	ctl start "src$i" --bridge bgc0 --ip "10.97.$((i / 200)).$((i % 200 + 10))" \
		"${exposes[@]}" >/dev/null || die "start src$i"
	links+=(--link "src$i")
done
ctl start bsrc --bridge bgc0 --ip 10.97.9.2 --expose 80/tcp >/dev/null || die "start bsrc"
ctl start brecv --bridge bgc0 --ip 10.97.9.3 "${links[@]}" >/dev/null || die "start brecv"
n=$(ctl status --json | jq .kernel_elements)

# The other client: 5 s windows of link/unlink until the queue is empty.
(
	while :; do
		ip netns exec "$NS" "$CLIENT" -s "$SOCK" churn 1 5 bgc0 10.97.10 \
			bsrc "$PID" || exit 1
		[ -e "$TMP/drained" ] && exit 0
	done
) >"$TMP/churn.txt" 2>"$TMP/churn.err" &
CHURN=$!
sleep 1

t0=$(now_ns)
ctl stop brecv >/dev/null || die "stop brecv"
t1=$(now_ns)
queued=$(ctl status --json | jq ".range_gc.queued // 0")
while [ "$(ctl status --json | jq ".range_gc.queued // 0")" != 0 ]; do
	sleep 0.05
done
t2=$(now_ns)
: >"$TMP/drained"
wait "$CHURN" || die "the other client failed: $(cat "$TMP/churn.err")"
CHURN=

# churn UPDATES WALL_NS P50 P99 MAX CPU, one line per window.
read -r max p99 <<<"$(awk '$1 == "churn" { if ($6 > m) m = $6; if ($5 > p) p = $5 }
	END { printf "%d %d\n", m, p }' "$TMP/churn.txt")"
ranges=$((NSRC * 256))
printf 'kernel elements before the stop: %s; queued after its reply: %s\n' "$n" "$queued"
printf '%-8s %14s %13s %13s %9s %11s\n' ranges stop_reply_ms other_max_ms \
	other_p99_ms drain_s elements/s
awk -v r="$ranges" -v s=$((t1 - t0)) -v m="$max" -v p="$p99" -v d=$((t2 - t1)) -v q="$queued" \
	'BEGIN { printf "%-8d %14.1f %13.1f %13.1f %9.1f %11s\n", r, s / 1e6,
		m / 1e6, p / 1e6, d / 1e9, q ? sprintf("%.0f", r / (d / 1e9)) : "-" }'
[ "$queued" = 0 ] || grep -q "range gc: queue drained" "$TMP/iccd.log" ||
	die "iccd never logged the queue drained"
[ -z "${KEEP_LOG:-}" ] || cp "$TMP/iccd.log" "$KEEP_LOG"
