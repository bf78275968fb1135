#!/bin/bash
#
# bench.sh: iccd's benchmark (issue 6): the cost of a container event, of
# a cold start and of churn at L = 1,000, 10,000 and 100,000 link elements
# already loaded, and the cost to the packet path, measured side by side
# with the ways Docker <= 28 (iptables), moby 29 and netavark (one `nft -f`
# per change) do the same change, in one run, in the same scratch network
# namespaces.
#
#   bench.sh [--smoke] [--sizes "L..."] [--cycles N] [--budget SECONDS]
#            [--iperf-seconds S] [--out DIR]
#   bench.sh --cold-only [--reps N] [--baseline ICCD] [--sizes "L..."] [--out DIR]
#   bench.sh --packet-only [--sizes "L..."] [--iperf-seconds S] [--out DIR]
#
# `make bench` runs it with the defaults, `make bench-smoke` with --smoke
# (L = 1,000, 20 event cycles, 5 s per slow method, 1 s iperf3 runs:
# about 30 s, for CI).  Output: a table and the targets on stdout
# (also in DIR/summary.txt), DIR/bench.csv, DIR/events.png (names end in
# -smoke with --smoke) and the raw samples in DIR/raw/.  DIR defaults to
# tests/bench/out in the build tree.
#
# --cold-only: the cold-start rows alone (iccd-cold-*, the bare loads
# they are paired with, the breakdown), REPS pairs per size (default 5).
# --baseline ICCD: each pair is followed by a second one, a bare load and
# then ICCD (another build, e.g. the previous commit's) on a copy of the
# same state: rows base-cold-*, so that the two are compared in one run.
#
# --packet-only: the packet-path rows alone (no table, iccd, iccd-inet,
# ct-accept, the linear rules), for a quick look at the per-packet cost,
# e.g. `bench.sh --packet-only --sizes "1000 100000"`: iccd starts once
# per size (no cold-start, event or churn rows), no plot.
#
# The event: container bevent, linked (alias db) to bsrc, which exposes
# 3 ports, is started, started again at another address (an IP change) and
# stopped: 3 link elements in, 3 swapped, 3 out.  Each method does CYCLES
# such cycles; one slower than BUDGET seconds in all stops at the first
# event past its budget (at least one event), and its n tells.
#
# Exit status: 0 when every measurement ran (a missed target is reported,
# not a failure), 1 when the benchmark itself broke, 2 for bad options,
# 77 when not root.
#
# Traffic stays inside the namespaces made here.  Every name carries the
# run id, and a trap removes namespaces, processes and files however the
# run ends.

set -u
export LC_ALL=C

die() {
	printf 'bench.sh: FAILED: %s\n' "$*" >&2
	[ "$BASHPID" = "$$" ] || kill -USR1 "$$"
	exit 1
}
trap 'exit 1' USR1

# ---- the event, as each process-per-change method does it ------------------

EV_NAME=bevent
EV_SRC=bsrc
EV_SRC_IP=10.98.0.2
EV_IP1=10.98.0.10
EV_IP2=10.98.0.11
EV_PORTS="3306 5432 6379"

# timed_loop FILE START IPCHANGE STOP: the bounded event loop of the
# process-per-change methods (the functions named do one event each);
# "kind ns" lines into FILE.  No fork but the method's own: EPOCHREALTIME
# is read by bash itself.
timed_loop() {
	local file=$1 deadline t0 t1 c kind fn
	t0=${EPOCHREALTIME/./}
	deadline=$((10#$t0 + BUDGET * 1000000))
	: >"$file" || die "cannot write $file"
	for ((c = 0; c < CYCLES; c++)); do
		for kind in start ipchange stop; do
			t0=${EPOCHREALTIME/./}
			[ $((10#$t0)) -lt "$deadline" ] || break 2
			case $kind in
			start) fn=$2 ;;
			ipchange) fn=$3 ;;
			stop) fn=$4 ;;
			esac
			t0=${EPOCHREALTIME/./}
			"$fn" || die "$fn failed (cycle $c)"
			t1=${EPOCHREALTIME/./}
			echo "$kind $(((10#$t1 - 10#$t0) * 1000))" >>"$file"
		done
	done
}

# One `nft -f -` per change: NFT_EV holds start.nft, ipchange.nft and
# stop.nft, prepared beforehand (their text is not timed).
ev_nft_start() { nft -f - <"$NFT_EV/start.nft"; }
ev_nft_ipchange() { nft -f - <"$NFT_EV/ipchange.nft"; }
ev_nft_stop() { nft -f - <"$NFT_EV/stop.nft"; }

# ipt_rules ADDR: Docker <= 28's two stateless rules per exposed port of a
# link (daemon/links.go): receiver to source --dport, and back --sport.
ipt_rules() {
	local p
	for p in $EV_PORTS; do
		echo "-s $1/32 -d $EV_SRC_IP/32 -i br0 -o br0 -p tcp -m tcp --dport $p -j ACCEPT"
		echo "-s $EV_SRC_IP/32 -d $1/32 -i br0 -o br0 -p tcp -m tcp --sport $p -j ACCEPT"
	done
}

# Docker's iptables.ProgramRule: `-C || -A` to add, `-C && -D` to delete,
# each an iptables process.  The rule texts are split by the shell
# (no glob in them) so that nothing but iptables forks.
ipt_add() {
	local spec
	for spec in "$@"; do
		# shellcheck disable=SC2086
		"$IPT" -w -C BENCH $spec 2>/dev/null || "$IPT" -w -A BENCH $spec || return 1
	done
}
ipt_del() {
	local spec
	for spec in "$@"; do
		# shellcheck disable=SC2086
		"$IPT" -w -C BENCH $spec 2>/dev/null && "$IPT" -w -D BENCH $spec || return 1
	done
}
ev_ipt_start() { ipt_add "${IPT_RULES1[@]}"; }
ev_ipt_ipchange() { ipt_del "${IPT_RULES1[@]}" && ipt_add "${IPT_RULES2[@]}"; }
ev_ipt_stop() { ipt_del "${IPT_RULES2[@]}"; }

# bench.sh __loop nft|ipt FILE: the loop, run by bench.sh itself inside a
# namespace (ip netns exec is not timed); BUDGET, CYCLES and NFT_EV or IPT
# come from the environment.
if [ "${1:-}" = __loop ]; then
	case ${2:-} in
	nft) timed_loop "$3" ev_nft_start ev_nft_ipchange ev_nft_stop ;;
	ipt)
		mapfile -t IPT_RULES1 < <(ipt_rules "$EV_IP1")
		mapfile -t IPT_RULES2 < <(ipt_rules "$EV_IP2")
		timed_loop "$3" ev_ipt_start ev_ipt_ipchange ev_ipt_stop ;;
	*) die "__loop: unknown loop \"${2:-}\"" ;;
	esac
	exit 0
fi

# ---- options --------------------------------------------------------------

SMOKE=no
SIZES="1000 10000 100000"
CYCLES=200
BUDGET=60
IPERF_SECONDS=5
IPERF_REPS=3
COLD_REPS=5
CHURN_SECONDS=10
CHURN_CLIENTS=16
CHURN_L=10000
OUT=
COLD_ONLY=no
PACKET_ONLY=no
BASELINE=

usage() {
	echo "usage: bench.sh [--smoke] [--sizes \"L...\"] [--cycles N] [--budget SECONDS] [--iperf-seconds S] [--out DIR]" >&2
	echo "       bench.sh --cold-only [--reps N] [--baseline ICCD] [--sizes \"L...\"] [--out DIR]" >&2
	echo "       bench.sh --packet-only [--sizes \"L...\"] [--iperf-seconds S] [--out DIR]" >&2
	exit 2
}

# positive OPTION VALUE: VALUE must be a positive integer.
positive() {
	case $2 in
	'' | *[!0-9]* | 0*)
		echo "bench.sh: $1: expected a positive integer, got \"$2\"" >&2
		exit 2 ;;
	esac
}

while [ $# -gt 0 ]; do
	case $1 in
	--smoke)
		SMOKE=yes SIZES=1000 CYCLES=20 BUDGET=5 IPERF_SECONDS=1 IPERF_REPS=1 COLD_REPS=3
		CHURN_SECONDS=2 CHURN_L=1000 ;;
	--sizes) [ $# -ge 2 ] || usage; SIZES=$2; shift ;;
	--cycles) [ $# -ge 2 ] || usage; positive --cycles "$2"; CYCLES=$2; shift ;;
	--budget) [ $# -ge 2 ] || usage; positive --budget "$2"; BUDGET=$2; shift ;;
	--iperf-seconds) [ $# -ge 2 ] || usage; positive --iperf-seconds "$2"; IPERF_SECONDS=$2; shift ;;
	--out) [ $# -ge 2 ] || usage; OUT=$2; shift ;;
	--cold-only) COLD_ONLY=yes ;;
	--packet-only) PACKET_ONLY=yes ;;
	--reps) [ $# -ge 2 ] || usage; positive --reps "$2"; COLD_REPS=$2; shift ;;
	--baseline) [ $# -ge 2 ] || usage; BASELINE=$2; shift ;;
	*) usage ;;
	esac
	shift
done
[ -n "$SIZES" ] || { echo "bench.sh: --sizes: empty" >&2; exit 2; }
if [ "$COLD_ONLY" = yes ] && [ "$PACKET_ONLY" = yes ]; then
	echo "bench.sh: --cold-only and --packet-only exclude each other" >&2
	exit 2
fi
for l in $SIZES; do
	positive --sizes "$l"
	if [ $((l % 40)) -ne 0 ]; then
		echo "bench.sh: --sizes: $l is not a multiple of 40 (see gen.awk)" >&2
		exit 2
	fi
done
# Churn runs at 10,000, or at the first size when 10,000 is not asked for.
case " $SIZES " in *" $CHURN_L "*) ;; *) CHURN_L=${SIZES%% *} ;; esac

# ---- preconditions ----------------------------------------------------------

if [ "${ICC_ROOT_TESTS:-yes}" = no ] || [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the benchmark needs root (network namespaces, nftables)"
	exit 77
fi

ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ICC_BUILDDIR=${ICC_BUILDDIR:-$ICC_SRCDIR}
ICCD=$ICC_BUILDDIR/src/iccd/iccd
ICCCTL=$ICC_BUILDDIR/src/iccctl/iccctl
CLIENT=$ICC_BUILDDIR/tests/bench/bench_client
FLOOR=$ICC_BUILDDIR/tests/bench/bench_floor
GEN=$ICC_SRCDIR/tests/bench/gen.awk
SELF=$ICC_SRCDIR/tests/bench/bench.sh
OUT=${OUT:-$ICC_BUILDDIR/tests/bench/out}

for tool in ip nft iptables iptables-restore iperf3 gnuplot awk sort stat timeout; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "required tool '$tool' not found (Debian packages: iproute2 nftables iptables iperf3 gnuplot-nox coreutils)"
done
for bin in "$ICCD" "$ICCCTL" "$CLIENT" "$FLOOR"; do
	[ -x "$bin" ] || die "$bin is missing: make bench builds it"
done
[ -r "$GEN" ] && [ -r "$SELF" ] || die "cannot read $GEN or $SELF"
IPT_BACKEND=$(iptables -V 2>/dev/null | sed -n 's/.*(\(.*\)).*/\1/p')
IPT_BACKEND=${IPT_BACKEND:-legacy}
HAVE_LEGACY=no
if [ "$IPT_BACKEND" != legacy ] && command -v iptables-legacy >/dev/null 2>&1 &&
	command -v iptables-legacy-restore >/dev/null 2>&1; then
	HAVE_LEGACY=yes
fi
if [ ! -d /proc/sys/net/bridge ]; then
	modprobe br_netfilter 2>/dev/null ||
		die "br_netfilter is not loaded and modprobe br_netfilter failed"
	[ -d /proc/sys/net/bridge ] || die "br_netfilter loaded but /proc/sys/net/bridge is missing"
fi

# ---- run state and cleanup ------------------------------------------------------

RUN="ib$$x$RANDOM"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$RUN.XXXXXX") || die "mktemp failed"
HOST="$RUN-h"		# br0, iccd, the nft methods
NSA="$RUN-a"		# container A, 10.99.0.2: the iperf3 client
NSB="$RUN-b"		# container B, 10.99.0.3: the iperf3 servers
SOCK=$TMP/iccd.sock
NETNS=()
PIDS=()
ICCD_PID=
SHM_DIR=
STALL_PID=
TAG=
[ "$SMOKE" = no ] || TAG=-smoke
CSV=$OUT/bench$TAG.csv
PNG=$OUT/events$TAG.png
SUMMARY=$OUT/summary$TAG.txt
RAW=$OUT/raw$TAG

cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM USR1
	for pid in $ICCD_PID "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -z "$SHM_DIR" ] || rm -rf "$SHM_DIR"
	rm -rf "$TMP"
	[ "$rc" -eq 0 ] || echo "bench.sh: exit $rc (scratch namespaces and files removed)" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# log: progress, on stderr, so stdout is the report.
log() { printf '# %s\n' "$*" >&2; }

in_host() { ip netns exec "$HOST" "$@"; }

new_netns() {
	NETNS+=("$1")
	ip netns add "$1" || die "ip netns add $1 failed"
	ip netns exec "$1" ip link set lo up || die "lo up in $1 failed"
}

# del_netns NS: the last namespace made, gone again.
del_netns() {
	local pid
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$1" || die "ip netns del $1 failed"
	unset 'NETNS[-1]'
}

# setup_world: HOST with bridge br0 10.99.0.1/24 and bridge netfilter on,
# containers A and B on it.
setup_world() {
	local ns ip port
	new_netns "$HOST"
	in_host sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1 >/dev/null ||
		die "cannot set bridge-nf-call-iptables in $HOST"
	in_host ip link add br0 type bridge stp_state 0 forward_delay 0 ||
		die "cannot create br0"
	in_host ip addr add 10.99.0.1/24 dev br0 || die "cannot address br0"
	in_host ip link set br0 up || die "cannot bring br0 up"
	for ns in "$NSA:10.99.0.2" "$NSB:10.99.0.3"; do
		ip=${ns#*:}
		ns=${ns%%:*}
		port=v${ip##*.}
		new_netns "$ns"
		ip netns exec "$ns" ip link add eth0 type veth peer name "$port" netns "$HOST" ||
			die "cannot create the veth of $ns"
		in_host ip link set "$port" master br0 up || die "cannot attach $port to br0"
		ip netns exec "$ns" ip addr add "$ip/24" dev eth0 || die "cannot address $ns"
		ip netns exec "$ns" ip link set eth0 up || die "cannot bring eth0 of $ns up"
	done
}

# nft_listeners: the processes, in any namespace of this host, that
# listen to nftables change events (NFNLGRP_NFTABLES, e.g. an iccd with
# its monitor, `nft monitor`): "N comm..." ("0" for none).  Whether
# anyone listens is kept per netlink protocol for the whole host, not per
# namespace, and while anyone does every nftables commit in every
# namespace builds a notification per element it changes: big commits
# (a cold start, nft -f) cost several times more.  The figures say so.
nft_listeners() {
	local f pid inode groups socks="" owners="" fd
	for f in /proc/[0-9]*/net/netlink; do
		while read -r _ proto _ groups _ _ _ _ _ inode; do
			[ "$proto" = 12 ] || continue
			[ $((0x$groups & 0x40)) -ne 0 ] || continue
			case " $socks " in *" $inode "*) continue ;; esac
			socks="$socks $inode"
		done 2>/dev/null <"$f"
	done
	for inode in $socks; do
		for fd in /proc/[0-9]*/fd/*; do
			if [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ]; then
				pid=${fd#/proc/}
				pid=${pid%%/*}
				owners="$owners $(cat "/proc/$pid/comm" 2>/dev/null)[$pid]"
				break
			fi
		done
	done
	# shellcheck disable=SC2086
	set -- $socks
	echo "$#$owners"
}

# ---- statistics and results -----------------------------------------------------

# stats FILE COLUMN [KIND [DIV]]: "N MEDIAN P99 MAX" of COLUMN over the
# lines whose first field is KIND (every line when empty), divided by DIV
# (default 1000: ns in FILE, us out).  Nearest-rank percentiles.
stats() {
	awk -v col="$2" -v kind="${3:-}" 'kind == "" || $1 == kind { print $col }' "$1" |
		sort -n | awk -v div="${4:-1000}" '
		{ a[NR] = $1 }
		END {
			if (NR == 0) { print "0 - - -"; exit }
			printf "%d %.1f %.1f %.1f\n", NR, a[int((NR + 1) / 2)] / div,
			    a[int((NR * 99 + 99) / 100)] / div, a[NR] / div
		}'
}

# record_runs SECTION SCENARIO L FILE COLUMN UNIT DIV NOTE: repeated runs
# ("kind value..." lines in FILE): median, and the slowest in the p99
# column; the first run is named in the note (see COLD_REPS).
record_runs() {
	local s first
	read -r -a s <<<"$(stats "$4" "$5" "" "$7")"
	[ "${s[0]}" -gt 0 ] || die "$2 at L=$3: no run"
	first=$(awk -v col="$5" -v div="$7" 'NR == 1 { printf "%.1f", $col / div }' "$4")
	record "$1" "$2" "$3" "${s[0]}" "${s[1]}" "${s[3]}" "$6" "$8; runs back to back, first $first"
}

declare -A MED=()	# "scenario|L" -> median (or the one value)
declare -A P99=()	# "scenario|L" -> p99
declare -A NN=()	# "scenario|L" -> n
ROWS=()			# the table's rows in order: "section|scenario|L"

# record SECTION SCENARIO L N MEDIAN P99 UNIT NOTE: one result, into the
# CSV and the table.
record() {
	local sec=$1 scen=$2 l=$3 n=$4 med=$5 p99=$6 unit=$7 note=${8:-}
	MED["$scen|$l"]=$med
	P99["$scen|$l"]=$p99
	NN["$scen|$l"]=$n
	ROWS+=("$sec|$scen|$l")
	printf '%s,%s,%s,%s,%s,%s,%s,"%s"\n' "$sec" "$scen" "$l" "$n" "$med" "$p99" \
		"$unit" "$note" >>"$CSV"
	log "$(printf '%-7s %-26s L=%-6s n=%-4s median %-9s p99 %-9s %s  %s' \
		"$sec" "$scen" "$l" "$n" "$med" "$p99" "$unit" "$note")"
}

# record_events SCENARIO L FILE COLUMN: per kind of event into the CSV,
# all events together into the table as well.
record_events() {
	local scen=$1 l=$2 file=$3 col=$4 kind s
	for kind in start ipchange stop; do
		read -r -a s <<<"$(stats "$file" "$col" "$kind")"
		printf '%s,%s,%s,%s,%s,%s,%s,"%s"\n' event-kind "$scen/$kind" "$l" "${s[0]}" \
			"${s[1]}" "${s[2]}" us "max ${s[3]}" >>"$CSV"
	done
	read -r -a s <<<"$(stats "$file" "$col")"
	[ "${s[0]}" -gt 0 ] || die "$scen at L=$l: no sample"
	record event "$scen" "$l" "${s[0]}" "${s[1]}" "${s[2]}" us "max ${s[3]}"
}

# ms NS: nanoseconds as milliseconds, one decimal.
ms() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1e6 }'; }

# ---- iccd ---------------------------------------------------------------------

iccctl() { ICCD_SOCKET=$SOCK "$ICCCTL" "$@"; }

# The event through iccctl: one process per request, as a runtime hook or
# a script would do it.
ev_iccctl_start() { iccctl start "$EV_NAME" --bridge br0 --ip "$EV_IP1" --link "$EV_SRC:db"; }
ev_iccctl_ipchange() { iccctl start "$EV_NAME" --bridge br0 --ip "$EV_IP2" --link "$EV_SRC:db"; }
ev_iccctl_stop() { iccctl stop "$EV_NAME"; }

# iccd_start STATEDIR LOG: iccd in HOST on STATEDIR.  Sets ICCD_PID,
# STARTED_NS: from just before exec to its "loaded" line, logged once the
# table is complete (daemon_init), and READY_NS: to its "listening" line,
# when it starts serving requests.
iccd_start() {
	local out
	out=$(in_host "$CLIENT" spawn "$2" 120 "loaded " "listening on" -- "${ICCD_BIN:-$ICCD}" \
		--foreground --socket "$SOCK" --state-dir "$1") ||
		die "iccd did not start: $(tail -n 3 "$2")"
	read -r _ ICCD_PID STARTED_NS READY_NS <<<"$out"
	[ -n "$READY_NS" ] || die "bench_client spawn said: $out"
	for _ in $(seq 1 500); do
		"$CLIENT" -s "$SOCK" status >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	die "iccd (pid $ICCD_PID) logged \"loaded\" but does not answer on $SOCK"
}

# breakdown LOG: the last "loaded" line of iccd's LOG as "breakdown SETUP
# STATE MODEL CACHE KERNEL SORT BUILD COMMIT COMPARE SYNC MONITOR" (ms;
# src/iccd/daemon.c): cache: reading the element cache; kernel: loading
# it (or the sync without it); compare: the cache against the model;
# sync: the start's sync after that.  An older iccd's line has no cache,
# kernel or compare: its sync is the kernel part.
breakdown() {
	grep 'loaded .* ms: setup' "$1" | tail -n 1 | sed 's/[(),]/ /g' | awk '{
		for (i = 1; i < NF; i++) v[$i] = $(i + 1)
		if (!("kernel" in v)) v["kernel"] = v["sync"]
		printf "breakdown %s %s %s %s %s %s %s %s %s %s %s\n", v["setup"],
		    v["state"], v["model"], v["cache"] + 0, v["kernel"], v["sort"],
		    v["build"], v["commit"], v["compare"] + 0, v["sync"], v["monitor"] }'
}

# gone PID: the process has exited.  A zombie counts: bench_client spawn
# left iccd to be reaped by init, not by us.
gone() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

iccd_stop() {
	[ -n "$ICCD_PID" ] || return 0
	kill "$ICCD_PID" 2>/dev/null
	for _ in $(seq 1 500); do
		if gone "$ICCD_PID"; then
			ICCD_PID=
			return 0
		fi
		sleep 0.01
	done
	die "iccd (pid $ICCD_PID) did not exit within 5 s of SIGTERM"
}

# iccd_check WHAT N: iccd wants N elements, the kernel holds N, and they
# are the same.
iccd_check() {
	local out word want have match
	out=$("$CLIENT" -s "$SOCK" status) || die "$1: iccd status failed"
	read -r word want have match _ <<<"$out"
	[ "$word $want $have $match" = "status $2 $2 yes" ] ||
		die "$1: expected $2 elements in iccd and in the kernel, matching; status says: $out"
}

# ---- the commit-lock probe --------------------------------------------------------

# stall_start FILE: bench_floor stall in HOST; returns once it is ready.
stall_start() {
	# Not through in_host: a direct command makes $! the probe itself.
	ip netns exec "$HOST" "$FLOOR" stall 600 >"$1" 2>&1 &
	STALL_PID=$!
	PIDS+=("$STALL_PID")
	for _ in $(seq 1 500); do
		grep -q '^ready' "$1" && return 0
		kill -0 "$STALL_PID" 2>/dev/null || die "bench_floor stall: $(cat "$1")"
		sleep 0.01
	done
	die "bench_floor stall never got ready"
}

# stall_stop FILE: sets STALL_MAX_NS, the longest empty batch it timed.
stall_stop() {
	kill "$STALL_PID" 2>/dev/null
	wait "$STALL_PID" || die "bench_floor stall failed: $(cat "$1")"
	STALL_PID=
	log "commit-lock probe: $(tail -n 1 "$1") (n p50 p99 max, ns)"
	STALL_MAX_NS=$(awk '$1 == "stall" { print $5 }' "$1")
	[ -n "$STALL_MAX_NS" ] || die "bench_floor stall printed no result: $(cat "$1")"
}

# ---- the packet path ----------------------------------------------------------------

# iperf_servers: B's servers on 5201 (linked) and 5202 (not), pinned to
# CPU 1 when there are two CPUs, the client to CPU 0.
PIN_CLIENT=
PIN_SERVER=
iperf_servers() {
	local port
	if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
		PIN_CLIENT="taskset -c 0"
		PIN_SERVER="taskset -c 1"
	fi
	for port in 5201 5202; do
		# shellcheck disable=SC2086
		ip netns exec "$NSB" $PIN_SERVER iperf3 -s -p "$port" >/dev/null 2>&1 &
		PIDS+=("$!")
	done
	for _ in $(seq 1 100); do
		if ip netns exec "$NSB" iperf3 -c 127.0.0.1 -p 5201 -n 1K >/dev/null 2>&1 &&
			ip netns exec "$NSB" iperf3 -c 127.0.0.1 -p 5202 -n 1K >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	die "the iperf3 servers in B never answered"
}

# iperf_run udp|tcp: one run from A to B:5201.  udp: 64-byte payloads at
# no rate limit; prints the packets per second B received and those A
# sent: the bridge and netfilter work is done on the sender's CPU (veth
# hands the packet over in its softirq), so the sent rate is what the
# path can carry, the received one also depends on B keeping up.  tcp:
# prints the Mbit/s B received.  Client and server are pinned to CPUs 0
# and 1 (see iperf_servers), which steadies the figures a little.
iperf_run() {
	local out opts="" try
	[ "$1" = tcp ] || opts="-u -l 64 -b 0"
	# A server still closing the last run (a flooded UDP receiver can
	# lag behind its client) refuses the next one as busy, or resets
	# its control connection: that says nothing about the path, so wait
	# and try again, a few times.
	for try in 1 2 3 4 5; do
		# shellcheck disable=SC2086
		out=$(timeout $((IPERF_SECONDS + 20)) ip netns exec "$NSA" $PIN_CLIENT iperf3 \
			-c 10.99.0.3 -p 5201 $opts -t "$IPERF_SECONDS" -f m --connect-timeout 3000 2>&1) &&
			break
		case $out in
		*"server is busy"* | *"reset by peer"*) [ "$try" = 5 ] || { sleep 1; continue; } ;;
		esac
		die "iperf3 $1 from A to B:5201 failed: $(printf '%s\n' "$out" | tail -n 2)"
	done
	if [ "$1" = udp ]; then
		# [  5]   0.00-1.00   sec  27.9 MBytes   234 Mbits/sec  0.000 ms  0/456890 (0%)  sender
		# [  5]   0.00-1.00   sec  9.76 MBytes  81.8 Mbits/sec  0.001 ms  294773/454647 (65%)  receiver
		printf '%s\n' "$out" | awk '/(sender|receiver)$/ {
			split($3, iv, "-"); split($(NF - 2), lt, "/")
			pps[$NF] = (lt[2] - lt[1]) / (iv[2] - iv[1]) }
			END { if (!("receiver" in pps) || !("sender" in pps)) exit 1
			      printf "%.0f %.0f\n", pps["receiver"], pps["sender"] }'
	else
		printf '%s\n' "$out" | awk '/receiver$/ {
			for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") { print $i; found = 1 } }
			END { exit !found }'
	fi || die "cannot read iperf3's $1 receiver line in: $out"
}

# packet_path SCENARIO L [ENFORCED]: IPERF_REPS runs of udp and of tcp,
# medians recorded.  With ENFORCED=yes it first proves the rules are in
# the path: B's port 5202, which no link allows, must not answer A.
packet_path() {
	local scen=$1 l=$2 proto v
	if [ "${3:-no}" = yes ] &&
		timeout 10 ip netns exec "$NSA" iperf3 -c 10.99.0.3 -p 5202 -n 1K \
			--connect-timeout 1000 >/dev/null 2>&1; then
		die "packet path $scen L=$l: A reached B:5202, which no link allows: the rules are not in the path"
	fi
	: >"$TMP/iperf"
	for proto in udp tcp; do
		for _ in $(seq 1 "$IPERF_REPS"); do
			v=$(iperf_run "$proto") || exit 1
			echo "$proto $v" >>"$TMP/iperf"
		done
	done
	record_iperf "$scen/udp64-sent" "$l" udp 3 pps
	record_iperf "$scen/udp64" "$l" udp 2 pps
	record_iperf "$scen/tcp" "$l" tcp 2 Mbit/s
}

# record_iperf SCENARIO L PROTO COLUMN UNIT: the median of the runs.
record_iperf() {
	local vals med
	vals=$(awk -v p="$3" -v c="$4" '$1 == p { printf " %s", $c }' "$TMP/iperf")
	# shellcheck disable=SC2086
	med=$(printf '%s\n' $vals | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	record packet "$1" "$2" "$IPERF_REPS" "$med" - "$5" "runs:$vals"
}

# bridge_nf 0|1: bridge-nf-call-iptables and -ip6tables in HOST.
bridge_nf() {
	in_host sysctl -qw "net.bridge.bridge-nf-call-iptables=$1" \
		"net.bridge.bridge-nf-call-ip6tables=$1" >/dev/null ||
		die "cannot set bridge-nf-call-iptables=$1"
}

# ---- one size -------------------------------------------------------------------------

# gen_world L DIR: the synthetic world of size L (gen.awk) plus the event
# source, and the input files of the nft methods.
gen_world() {
	local l=$1 dir=$2
	mkdir -p "$dir/state/c" "$dir/elems" "$dir/chain" || die "mkdir $dir"
	awk -v L="$l" -v dir="$dir" -v table=bnft -v bridge=br0 -f "$GEN" || die "gen.awk failed"
	printf '{"bridge":"br0","env":[],"expose":["3306/tcp","5432/tcp","6379/tcp"],"ip":"%s","links":[],"name":"%s","running":true,"seq":1000000}\n' \
		"$EV_SRC_IP" "$EV_SRC" >"$dir/state/c/$EV_SRC.json"
	nft_event_files "$dir"
}

# nft_rules ADDR: ipt_rules in nft syntax.
nft_rules() {
	ipt_rules "$1" | awk '{ sub("/32", "", $2); sub("/32", "", $4)
		printf "iifname \"br0\" oifname \"br0\" ip saddr %s ip daddr %s tcp %s %s accept\n",
		    $2, $4, substr($13, 3), $14 }'
}

# chain_file DIR [ADDR]: moby's whole-chain rewrite: flush chain
# bchain/links and put back its L rules, plus the event's when ADDR.
chain_file() {
	echo "flush chain inet bchain links"
	echo "table inet bchain {"
	echo "chain links {"
	cat "$1/rules.nft"
	[ -z "${2:-}" ] || nft_rules "$2"
	echo "}"
	echo "}"
}

# nft_event_files DIR: the changes as moby 29 / netavark send them, as
# element adds to iccd's set layout (DIR/elems) and as chain rewrites
# (DIR/chain).
nft_event_files() {
	local dir=$1 p e1="" e2=""
	for p in $EV_PORTS; do
		e1="$e1${e1:+, }$EV_IP1 . $EV_SRC_IP . tcp . $p"
		e2="$e2${e2:+, }$EV_IP2 . $EV_SRC_IP . tcp . $p"
	done
	echo "add element inet bnft links4 { $e1 }" >"$dir/elems/start.nft"
	printf 'delete element inet bnft links4 { %s }\nadd element inet bnft links4 { %s }\n' \
		"$e1" "$e2" >"$dir/elems/ipchange.nft"
	echo "delete element inet bnft links4 { $e2 }" >"$dir/elems/stop.nft"
	chain_file "$dir" "$EV_IP1" >"$dir/chain/start.nft"
	chain_file "$dir" "$EV_IP2" >"$dir/chain/ipchange.nft"
	chain_file "$dir" >"$dir/chain/stop.nft"
	{
		echo "add table inet bchain"
		echo "add chain inet bchain links"
		cat "$dir/chain/stop.nft"
	} >"$dir/chain/load.nft"
}

# cold_pair L DIR STATE LOG PREFIX ICCD: one cold start of ICCD on STATE,
# just after a bare load of the same elements (bench_floor, table
# bfloor), so that the ratio compares runs made under the same load of
# the machine; lines into $TMP/PREFIX-{cold,pair,breakdown,rss}.
cold_pair() {
	local l=$1 dir=$2 st=$3 logf=$4 pre=$5 out
	iccd_stop
	in_host "$FLOOR" delete || die "cannot delete table icc"
	in_host "$FLOOR" -t bfloor delete || die "cannot delete table bfloor"
	out=$(in_host "$FLOOR" -t bfloor load "$dir/elems.txt") ||
		die "bench_floor load failed"
	in_host "$FLOOR" -t bfloor delete || die "cannot delete table bfloor"
	ICCD_BIN=$6 iccd_start "$st" "$logf"
	echo "cold $STARTED_NS $READY_NS" >>"$TMP/$pre-cold"
	echo "$out" | awk -v c="$STARTED_NS" '{ print "pair", $3, c, c / $3 * 100 }' >>"$TMP/$pre-pair"
	breakdown "$logf" >>"$TMP/$pre-breakdown"
	log "  $pre: bare load $(ms "$(echo "$out" | awk '{ print $3 }')") ms, cold start $(ms "$STARTED_NS") ms:$(tail -n 1 "$TMP/$pre-breakdown" | cut -d' ' -f2-)"
	awk '/^VmHWM/ { print "rss", $2 }' "/proc/$ICCD_PID/status" >>"$TMP/$pre-rss"
	iccd_check "cold start L=$l ($6)" "$l"
}

# record_cold L PREFIX ROW: the rows of the cold_pair runs of PREFIX,
# named ROW-cold-start, ROW-cold/PART, ...
record_cold() {
	local l=$1 pre=$2 row=$3 i=2 part
	record_runs cold "$row-cold-start" "$l" "$TMP/$pre-cold" 2 ms 1e6 \
		"exec to the table complete (\"loaded\")"
	record_runs cold "$row-cold-ready" "$l" "$TMP/$pre-cold" 3 ms 1e6 \
		"exec to serving requests (\"listening\")"
	record_runs cold "floor-load-paired${row#iccd}" "$l" "$TMP/$pre-pair" 2 ms 1e6 \
		"the bare load (kernel_sync) just before each cold start"
	record_runs cold "cold-start-per-bare-load${row#iccd}" "$l" "$TMP/$pre-pair" 4 % 1 \
		"$row's cold start as a percentage of the bare load just before it"
	for part in setup state model cache kernel kernel-sort kernel-build kernel-commit compare sync monitor; do
		record_runs cold "$row-cold/$part" "$l" "$TMP/$pre-breakdown" "$i" ms 1 \
			"iccd's \"loaded\" line: where the start's time went"
		i=$((i + 1))
	done
	record_runs cold "$row-peak-rss" "$l" "$TMP/$pre-rss" 2 MB 1024 "VmHWM once serving"
}

# bench_iccd_cold L DIR ST LOG: COLD_REPS cold starts of iccd (and of
# BASELINE on a copy of the state, each after its own bare load).
# Memory this VM handed back to its host makes the first big kernel
# allocation slow (page faults in the host): runs are repeated back to
# back, the median reported and the first named.
bench_iccd_cold() {
	local l=$1 dir=$2 st=$3 logf=$4 f
	log "L=$l: iccd cold start, $COLD_REPS runs, each after a bare load${BASELINE:+, and of the baseline}"
	for f in new base; do
		: >"$TMP/$f-cold"; : >"$TMP/$f-rss"; : >"$TMP/$f-pair"; : >"$TMP/$f-breakdown"
	done
	[ -z "$BASELINE" ] || cp -a "$dir/state" "$st-base" || die "cannot copy the state"
	for _ in $(seq 1 "$COLD_REPS"); do
		cold_pair "$l" "$dir" "$st" "$logf" new "$ICCD"
		[ -z "$BASELINE" ] || cold_pair "$l" "$dir" "$st-base" "$logf.base" base "$BASELINE"
	done
	iccd_stop
	record_cold "$l" new iccd
	[ -z "$BASELINE" ] || record_cold "$l" base base
	rm -rf "$st-base"
}

# bench_iccd L DIR: iccd at size L: cold start, restarts, events, the
# packet path, churn.  Leaves no iccd and no table behind.
bench_iccd() {
	local l=$1 dir=$2 st=$TMP/state-$1 logf=$TMP/iccd-$1.log out n changes
	cp -a "$dir/state" "$st" || die "cannot copy the state"
	if [ "$PACKET_ONLY" = yes ]; then
		log "L=$l: iccd start (packet path only)"
		in_host "$FLOOR" delete || die "cannot delete table icc"
		iccd_start "$st" "$logf"
		iccd_check "start L=$l" "$l"
		bench_iccd_path "$l" "$st" "$logf"
		iccd_stop
		in_host "$FLOOR" delete || die "cannot delete table icc"
		return 0
	fi
	bench_iccd_cold "$l" "$dir" "$st" "$logf"
	if [ "$COLD_ONLY" = yes ]; then
		in_host "$FLOOR" delete || die "cannot delete table icc"
		return 0
	fi

	log "L=$l: iccd cold start under the commit-lock probe"
	iccd_stop
	in_host "$FLOOR" delete || die "cannot delete table icc"
	stall_start "$TMP/stall-iccd-$l"
	iccd_start "$st" "$logf"
	stall_stop "$TMP/stall-iccd-$l"
	record cold iccd-cold-lock-hold "$l" 1 "$(ms "$STALL_MAX_NS")" - ms \
		"longest wait for the nf_tables commit lock while iccd started"

	log "L=$l: iccd restarts, table in place, $COLD_REPS runs"
	: >"$TMP/restart"
	for _ in $(seq 1 "$COLD_REPS"); do
		iccd_stop
		iccd_start "$st" "$logf"
		echo "restart $STARTED_NS $READY_NS" >>"$TMP/restart"
	done
	record_runs cold iccd-restart "$l" "$TMP/restart" 2 ms 1e6 "table already right"

	log "L=$l: iccd restarts after 1% drift, $COLD_REPS runs"
	: >"$TMP/drift"
	for _ in $(seq 1 "$COLD_REPS"); do
		iccd_stop
		out=$(in_host "$FLOOR" drift 10) || die "bench_floor drift failed"
		n=$(echo "$out" | awk '{ print $2 }')
		iccd_start "$st" "$logf"
		changes=$(grep -o 'synced: [0-9]* element changes' "$logf" | tail -n 1 |
			awk '{ print $2 }')
		[ "${changes:-0}" -eq $((2 * n)) ] ||
			die "restart after drift: iccd made ${changes:-no} element changes, expected $((2 * n))"
		iccd_check "restart after drift L=$l" "$l"
		echo "drift $STARTED_NS $READY_NS" >>"$TMP/drift"
	done
	record_runs cold iccd-restart-1pct-drift "$l" "$TMP/drift" 2 ms 1e6 \
		"$n elements deleted and $n foreign ones added while iccd was down"

	log "L=$l: events through a persistent connection (bench_client)"
	"$CLIENT" -s "$SOCK" events "$CYCLES" "$BUDGET" "$EV_NAME" br0 "$EV_IP1" "$EV_IP2" \
		"$EV_SRC:db" >"$RAW/iccd-client-$l.txt" || die "bench_client events failed"
	record_events iccd-apply "$l" "$RAW/iccd-client-$l.txt" 3
	record_events iccd-reply "$l" "$RAW/iccd-client-$l.txt" 4
	record_events iccd-client "$l" "$RAW/iccd-client-$l.txt" 2
	iccd_check "after the bench_client events L=$l" "$l"

	log "L=$l: events through iccctl"
	timed_loop "$RAW/iccd-iccctl-$l.txt" ev_iccctl_start ev_iccctl_ipchange ev_iccctl_stop
	record_events iccd-iccctl "$l" "$RAW/iccd-iccctl-$l.txt" 2
	iccd_check "after the iccctl events L=$l" "$l"

	bench_iccd_path "$l" "$st" "$logf"

	if [ "$l" = "$CHURN_L" ]; then
		bench_churn "$l" disk "$STATE_FS"
		if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
			iccd_stop
			SHM_DIR=$(mktemp -d "/dev/shm/$RUN.XXXXXX") || die "mktemp in /dev/shm failed"
			cp -a "$st/." "$SHM_DIR/" || die "cannot copy the state to tmpfs"
			iccd_start "$SHM_DIR" "$logf"
			bench_churn "$l" tmpfs tmpfs
			iccd_stop
			rm -rf "$SHM_DIR"
			SHM_DIR=
		fi
	fi
	iccd_stop
	in_host "$FLOOR" delete || die "cannot delete table icc"
}

# bench_iccd_path L STATEDIR LOG: the packet path through iccd's tables
# (iccd running), then through its inet table alone: the row the
# ct-accept baseline is compared with.  ct-accept is an nft -f copy of
# the inet table only, so iccd's row also carries the bridge table's
# per-frame cost (port bindings, tagged frames, fail-closed), which has
# nothing to do with judging every packet versus accepting established
# flows first; iccd-inet prices that choice alone, and iccd against
# iccd-inet prices the bridge table.  Leaves iccd running with both
# tables, A and B undeclared.
bench_iccd_path() {
	local l=$1 st=$2 logf=$3
	log "L=$l: packet path through iccd's tables (inet and bridge)"
	iccctl start pktb --bridge br0 --ip 10.99.0.3 --expose 5201/tcp --expose 5201/udp &&
		iccctl start pkta --bridge br0 --ip 10.99.0.2 --link pktb:srv ||
		die "cannot declare A and B to iccd"
	packet_path iccd "$l" yes
	# SIGTERM leaves iccd's tables in place (a restart must not open
	# the bridge): what stays after the bridge table goes is exactly
	# the inet table iccd made, A and B's link included.  Deleting it
	# fails if iccd had no bridge table: then the rows would be equal.
	log "L=$l: packet path through iccd's inet table alone (bridge table deleted)"
	iccd_stop
	in_host nft delete table bridge icc || die "cannot delete table bridge icc"
	packet_path iccd-inet "$l" yes
	# Both tables go and iccd starts cold on its state, so that what
	# follows (churn) runs on the tables as iccd makes them, not on a
	# repair of the one that was deleted.
	in_host "$FLOOR" delete || die "cannot delete table icc"
	iccd_start "$st" "$logf"
	iccctl rm pkta && iccctl rm pktb || die "iccctl rm failed"
	iccd_check "after the packet path L=$l" "$l"
}

# round_figures: "SUM COUNT" of iccd's group-commit histogram: requests
# carried by, and kernel transactions of, the rounds so far.
round_figures() {
	iccctl metrics | awk '$1 == "iccd_round_requests_per_transaction_sum" { s = $2 }
		$1 == "iccd_round_requests_per_transaction_count" { c = $2 }
		END { print s + 0, c + 0 }'
}

# bench_churn L WHERE FSTYPE: link + unlink from CHURN_CLIENTS connections.
bench_churn() {
	local l=$1 where=$2 out n wall p50 p99 max cpu rate s0 c0 s1 c1 rpt
	log "L=$l: churn, $CHURN_CLIENTS clients, $CHURN_SECONDS s, state on $where ($3)"
	read -r s0 c0 <<<"$(round_figures)"
	out=$("$CLIENT" -s "$SOCK" churn "$CHURN_CLIENTS" "$CHURN_SECONDS" br0 10.98.1 \
		"$EV_SRC" "$ICCD_PID") || die "bench_client churn failed"
	read -r s1 c1 <<<"$(round_figures)"
	rpt=$(awk -v s="$((s1 - s0))" -v c="$((c1 - c0))" 'BEGIN { if (c > 0) printf "%.1f", s / c; else print "-" }')
	read -r _ n wall p50 p99 max cpu <<<"$out"
	rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / (w / 1e9) }')
	record churn "churn-state-$where" "$l" "$n" \
		"$(awk -v v="$p50" 'BEGIN { printf "%.1f", v / 1000 }')" \
		"$(awk -v v="$p99" 'BEGIN { printf "%.1f", v / 1000 }')" us \
		"$rate updates/s; iccd CPU $cpu% of a core; max $(ms "$max") ms; $rpt requests per kernel transaction; state on $3"
	MED["churn-rate-$where|$l"]=$rate
	MED["churn-cpu-$where|$l"]=$cpu
	iccd_check "after churn L=$l" "$l"
}

# bench_ct_accept_path L DIR: the packet path through iccd's table as it
# was before revocation moved into the rules: established and related
# packets accepted at once (ct state established,related accept, marked
# as iccd's accepts are), which needed a conntrack dump after every
# removal.  The baseline of the cost
# per packet of judging every packet by the link sets
# (iccd-inet/udp64-sent against ct-accept/udp64-sent, same L, same run:
# both the inet table alone, no bridge table).
bench_ct_accept_path() {
	local l=$1 dir=$2 f=$TMP/ct-accept.nft
	log "L=$l: packet path through the ct-accept isolate chain (the baseline)"
	awk '
		/^\tchain isolate/ {
			m = "meta mark set meta mark | 0x00100000 accept"
			print
			print "\t\tct state established,related " m
			print "\t\ticmpv6 type nd-neighbor-solicit " m
			print "\t\ticmpv6 type nd-neighbor-advert " m
			print "\t\tip saddr . ip daddr . meta l4proto . th dport @links4 " m
			print "\t\tip saddr . ip daddr . meta l4proto . th dport @ranges4 " m
			print "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @links6 " m
			print "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @ranges6 " m
			skip = 1; next
		}
		skip && /counter drop/ { skip = 0 }
		skip { next }
		{ print }' "$dir/table.nft" >"$f" || die "cannot write $f"
	echo "add element inet bnft links4 { 10.99.0.2 . 10.99.0.3 . tcp . 5201, 10.99.0.2 . 10.99.0.3 . udp . 5201 }" >>"$f"
	in_host nft delete table inet bnft 2>/dev/null
	in_host nft -f "$f" || die "nft -f of the ct-accept table failed"
	packet_path ct-accept "$l" yes
	in_host nft delete table inet bnft || die "cannot delete table bnft"
}

# bench_floor_size L DIR: the bare libnftnl batch.
bench_floor_size() {
	local l=$1 dir=$2
	log "L=$l: floor (bare libnftnl batch through src/iccd/kernel_*.c)"
	: >"$TMP/floor-load"
	for _ in $(seq 1 "$COLD_REPS"); do
		in_host "$FLOOR" -t bfloor delete || die "cannot delete table bfloor"
		in_host "$FLOOR" -t bfloor load "$dir/elems.txt" >>"$TMP/floor-load" ||
			die "bench_floor load failed"
	done
	record_runs cold floor-load "$l" "$TMP/floor-load" 3 ms 1e6 \
		"kernel_sync of the L elements into a new table, one transaction"
	# shellcheck disable=SC2086  # one argument per port
	in_host "$FLOOR" -t bfloor events "$CYCLES" "$BUDGET" "$EV_IP1" "$EV_IP2" "$EV_SRC_IP" \
		$EV_PORTS >"$RAW/floor-$l.txt" || die "bench_floor events failed"
	record_events floor "$l" "$RAW/floor-$l.txt" 2
	in_host "$FLOOR" -t bfloor delete || die "cannot delete table bfloor"
}

# bench_nft L DIR: nft -f of iccd's table with the same content (cold
# load, RSS, lock hold), then one nft process per change: element adds,
# and the whole-chain rewrite.
bench_nft() {
	local l=$1 dir=$2
	log "L=$l: nft -f of the same table, $COLD_REPS runs"
	: >"$TMP/nft-load"
	for _ in $(seq 1 "$COLD_REPS"); do
		in_host nft delete table inet bnft 2>/dev/null
		in_host "$CLIENT" run nft -f "$dir/table.nft" >>"$TMP/nft-load" ||
			die "nft -f table.nft failed"
	done
	record_runs cold nft-f-cold-load "$l" "$TMP/nft-load" 2 ms 1e6 \
		"nft -f of iccd's table with the L elements"
	record_runs cold nft-peak-rss "$l" "$TMP/nft-load" 3 MB 1024 "ru_maxrss of nft -f"
	in_host nft delete table inet bnft || die "cannot delete table bnft"
	stall_start "$TMP/stall-nft-$l"
	in_host nft -f "$dir/table.nft" || die "nft -f table.nft failed"
	stall_stop "$TMP/stall-nft-$l"
	record cold nft-f-lock-hold "$l" 1 "$(ms "$STALL_MAX_NS")" - ms \
		"longest wait for the nf_tables commit lock during nft -f"

	log "L=$l: one nft -f per change, element adds"
	in_host env NFT_EV="$dir/elems" BUDGET="$BUDGET" CYCLES="$CYCLES" \
		bash "$SELF" __loop nft "$RAW/nft-elems-$l.txt" || die "the nft element loop failed"
	record_events nft-elems "$l" "$RAW/nft-elems-$l.txt" 2
	in_host nft delete table inet bnft || die "cannot delete table bnft"

	log "L=$l: one nft -f per change, whole-chain rewrite"
	in_host nft -f "$dir/chain/load.nft" || die "cannot load chain bchain/links"
	in_host env NFT_EV="$dir/chain" BUDGET="$BUDGET" CYCLES="$CYCLES" \
		bash "$SELF" __loop nft "$RAW/nft-chain-$l.txt" || die "the nft chain loop failed"
	record_events nft-chain-rewrite "$l" "$RAW/nft-chain-$l.txt" 2
	in_host nft delete table inet bchain || die "cannot delete table bchain"
}

# bench_ipt L DIR BACKEND: Docker <= 28, in a namespace of its own (a
# legacy iptables table, once made, stays in that namespace's path).
bench_ipt() {
	local l=$1 dir=$2 backend=$3 ns="$RUN-i" ipt=iptables out
	[ "$backend" = legacy ] && ipt=iptables-legacy
	log "L=$l: $ipt -C || -A per rule ($backend)"
	new_netns "$ns"
	out=$(ip netns exec "$ns" "$CLIENT" run "$ipt-restore" --noflush "$dir/rules.ipt") ||
		die "$ipt-restore of $l rules failed"
	record cold "iptables-$backend-restore" "$l" 1 "$(ms "$(echo "$out" | awk '{ print $2 }')")" - ms \
		"$ipt-restore --noflush of the L rules"
	ip netns exec "$ns" env IPT="$ipt" BUDGET="$BUDGET" CYCLES="$CYCLES" \
		bash "$SELF" __loop ipt "$RAW/ipt-$backend-$l.txt" || die "the $ipt loop failed"
	record_events "iptables-$backend" "$l" "$RAW/ipt-$backend-$l.txt" 2
	del_netns "$ns"
}

# bench_linear_path L DIR: the packet path through L Docker-style rules
# (Debian's iptables) in HOST's FORWARD chain: A and B's rules last, as
# Docker appends a new link's, then a drop for the rest of br0's traffic.
bench_linear_path() {
	local l=$1 dir=$2 f=$TMP/linear.ipt p
	log "L=$l: packet path through $l linear rules ($IPT_BACKEND)"
	{
		echo "*filter"
		echo ":FORWARD ACCEPT [0:0]"
		sed '1d;$d' "$dir/rules.ipt"
		for p in tcp udp; do
			echo "-A BENCH -s 10.99.0.2/32 -d 10.99.0.3/32 -i br0 -o br0 -p $p -m $p --dport 5201 -j ACCEPT"
			echo "-A BENCH -s 10.99.0.3/32 -d 10.99.0.2/32 -i br0 -o br0 -p $p -m $p --sport 5201 -j ACCEPT"
		done
		echo "-A BENCH -i br0 -o br0 -j DROP"
		echo "-A FORWARD -i br0 -o br0 -j BENCH"
		echo COMMIT
	} >"$f"
	in_host iptables-restore --noflush "$f" || die "iptables-restore of the linear rules failed"
	packet_path "linear-$IPT_BACKEND" "$l" yes
	if [ "$IPT_BACKEND" = nf_tables ]; then
		in_host nft delete table ip filter || die "cannot delete table ip filter"
	else
		in_host iptables -F && in_host iptables -X || die "cannot empty iptables"
	fi
}

# ---- report ---------------------------------------------------------------------------

# ratio A B: A / B, or "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) { print "-"; exit }
		r = a / b
		if (r >= 100) printf "%.0f\n", r
		else if (r >= 10) printf "%.1f\n", r
		else printf "%.3g\n", r }'
}

# reference SECTION SCENARIO L: the row a row's ratio is taken to.
reference() {
	case $1 in
	event) echo "iccd-iccctl|$3" ;;
	cold)
		case $2 in
		*rss*) echo "iccd-peak-rss|$3" ;;
		*per-bare-load) echo "-" ;;
		*) echo "iccd-cold-start|$3" ;;
		esac ;;
	churn) echo "churn-state-disk|$3" ;;
	packet) echo "no-table/${2##*/}|0" ;;
	esac
}

print_table() {
	local row sec scen l ref want s last="" scens
	echo "iccd benchmark$([ "$SMOKE" = no ] || echo ' (smoke size)'): $ICCD_VERSION; $(uname -r)," \
		"$(nproc) CPUs, iptables $IPT_BACKEND$([ "$HAVE_LEGACY" = no ] || echo ' and legacy')," \
		"state on $STATE_FS; $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "event: us per event (start, IP change, stop of a container with 1 link x 3 ports), ratio = median / iccd-iccctl"
	echo "cold:  ms (or MB), ratio = / iccd's; churn: us per request; packet: pps or Mbit/s, ratio = / no table"
	echo "nftables event listeners elsewhere on this host (they make big commits dearer): at the start" \
		"$LISTENERS_BEGIN, at the end $LISTENERS_END"
	printf '%-7s %-28s %7s %5s %11s %11s %8s  %s\n' section scenario L n median p99 ratio "ratio to"
	# By section, then scenario in the order first measured, then L.
	for want in event cold churn packet; do
		scens=()
		for row in "${ROWS[@]}"; do
			IFS='|' read -r sec scen l <<<"$row"
			[ "$sec" = "$want" ] || continue
			case " ${scens[*]} " in *" $scen "*) ;; *) scens+=("$scen") ;; esac
		done
		for s in "${scens[@]}"; do
			for row in "${ROWS[@]}"; do
				IFS='|' read -r sec scen l <<<"$row"
				[ "$scen" = "$s" ] || continue
				ref=$(reference "$sec" "$scen" "$l")
				[ "$sec" = "$last" ] || echo
				last=$sec
				printf '%-7s %-28s %7s %5s %11s %11s %8s  %s\n' "$sec" "$scen" "$l" \
					"${NN[$scen|$l]}" "${MED[$scen|$l]}" "${P99[$scen|$l]}" \
					"$(ratio "${MED[$scen|$l]}" "${MED[$ref]:-}")" "${ref%|*}"
			done
		done
	done
}

# target TEXT VALUE OP LIMIT: one line, PASS or MISS (or n/a when this run
# did not measure it).  A MISS is reported, not a failure.
target() {
	local verdict
	if [ -z "$2" ] || [ "$2" = - ]; then
		printf 'TARGET %-58s %10s  n/a (not measured in this run)\n' "$1" -
		return
	fi
	if awk -v v="$2" -v l="$4" -v op="$3" \
		'BEGIN { exit !((op == "<=" && v + 0 <= l + 0) || (op == ">=" && v + 0 >= l + 0)) }'; then
		verdict=PASS
	else
		verdict=MISS
	fi
	printf 'TARGET %-58s %10s  %s %-6s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}

print_targets() {
	local big=100000 mid=10000 small=1000 l
	echo
	target "daemon apply p50 at L=100k (us)" "${MED[iccd-apply|$big]:-}" "<=" 100
	target "daemon apply p99 at L=100k (us)" "${P99[iccd-apply|$big]:-}" "<=" 1000
	target "daemon apply p50, L=100k / L=1k" \
		"$(ratio "${MED[iccd-apply|$big]:-}" "${MED[iccd-apply|$small]:-}")" "<=" 1.5
	target "daemon apply p99, L=100k / L=1k" \
		"$(ratio "${P99[iccd-apply|$big]:-}" "${P99[iccd-apply|$small]:-}")" "<=" 1.5
	target "iccctl faster than nft -f element adds at 100k (x)" \
		"$(ratio "${MED[nft-elems|$big]:-}" "${MED[iccd-iccctl|$big]:-}")" ">=" 3
	target "iccctl faster than nft -f chain rewrite at 100k (x)" \
		"$(ratio "${MED[nft-chain-rewrite|$big]:-}" "${MED[iccd-iccctl|$big]:-}")" ">=" 1000
	target "iccctl faster than iptables ($IPT_BACKEND) -C||-A at 10k (x)" \
		"$(ratio "${MED[iptables-$IPT_BACKEND|$mid]:-}" "${MED[iccd-iccctl|$mid]:-}")" ">=" 100
	target "cold start of 100k elements (ms)" "${MED[iccd-cold-start|$big]:-}" "<=" 250
	target "cold start at 100k, % of the bare load (paired runs)" \
		"${MED[cold-start-per-bare-load|$big]:-}" "<=" 130
	target "cold start faster than nft -f at 100k (x)" \
		"$(ratio "${MED[nft-f-cold-load|$big]:-}" "${MED[iccd-cold-start|$big]:-}")" ">=" 3
	target "longest commit-lock hold during cold start at 100k (ms)" \
		"${MED[iccd-cold-lock-hold|$big]:-}" "<=" 20
	target "iccd peak RSS / nft's at 100k" \
		"$(ratio "${MED[iccd-peak-rss|$big]:-}" "${MED[nft-peak-rss|$big]:-}")" "<=" 0.333
	target "restart with 1% drift at 100k (ms)" "${MED[iccd-restart-1pct-drift|$big]:-}" "<=" 300
	target "churn at L=10k, state on disk (updates/s)" "${MED[churn-rate-disk|$mid]:-}" ">=" 10000
	target "churn p99 at L=10k, state on disk (us)" "${P99[churn-state-disk|$mid]:-}" "<=" 10000
	target "churn at L=$CHURN_L, state on disk / on tmpfs (same run)" \
		"$(ratio "${MED[churn-rate-disk|$CHURN_L]:-}" "${MED[churn-rate-tmpfs|$CHURN_L]:-}")" ">=" 0.6
	target "iccctl faster than nft -f element adds at 10k (x)" \
		"$(ratio "${MED[nft-elems|$mid]:-}" "${MED[iccd-iccctl|$mid]:-}")" ">=" 3
	# Both inet tables alone (iccd-inet, ct-accept): the bridge table
	# is priced apart, below.
	target "UDP rate (sent), every packet judged / ct-accept rules, L=1k" \
		"$(ratio "${MED[iccd-inet/udp64-sent|$small]:-}" "${MED[ct-accept/udp64-sent|$small]:-}")" ">=" 0.97
	target "UDP rate (sent), every packet judged / ct-accept rules, L=100k" \
		"$(ratio "${MED[iccd-inet/udp64-sent|$big]:-}" "${MED[ct-accept/udp64-sent|$big]:-}")" ">=" 0.97
	target "UDP packet rate (sent), iccd L=100k / iccd L=1k" \
		"$(ratio "${MED[iccd/udp64-sent|$big]:-}" "${MED[iccd/udp64-sent|$small]:-}")" ">=" 0.97
	target "UDP packet rate (received), iccd L=100k / iccd L=1k" \
		"$(ratio "${MED[iccd/udp64|$big]:-}" "${MED[iccd/udp64|$small]:-}")" ">=" 0.97
	target "UDP packet rate (sent), iccd L=100k / 10k linear rules (x)" \
		"$(ratio "${MED[iccd/udp64-sent|$big]:-}" "${MED[linear-$IPT_BACKEND/udp64-sent|$mid]:-}")" ">=" 50
	# The bridge table's own per-frame cost: information, no target
	# (what it does is not optional).
	for l in $SIZES; do
		info "UDP rate (sent), bridge table: iccd / iccd-inet, L=$l" \
			"$(ratio "${MED[iccd/udp64-sent|$l]:-}" "${MED[iccd-inet/udp64-sent|$l]:-}")"
	done
}

# info TEXT VALUE: a figure printed beside the targets, with none to meet.
info() {
	printf 'INFO   %-58s %10s  (no target)\n' "$1" "${2:--}"
}

# plot: median event latency against L, a line per method, from the CSV.
plot() {
	local data=$TMP/plot.dat scen i=0 cmd="" term=png
	: >"$data"
	for scen in iccd-apply iccd-client iccd-iccctl floor nft-elems nft-chain-rewrite \
		"iptables-$IPT_BACKEND" iptables-legacy; do
		awk -F, -v s="$scen" '$1 == "event" && $2 == s { print $3, $5 }' "$CSV" >"$TMP/p.dat"
		[ -s "$TMP/p.dat" ] || continue
		{ cat "$TMP/p.dat"; printf '\n\n'; } >>"$data"
		cmd="$cmd${cmd:+, }'$data' index $i using 1:2 with linespoints lw 2 title '$scen'"
		i=$((i + 1))
	done
	[ "$i" -gt 0 ] || die "nothing to plot"
	gnuplot -e 'set terminal pngcairo' </dev/null >/dev/null 2>&1 && term=pngcairo
	gnuplot <<-EOF || die "gnuplot failed"
		set terminal $term size 1000,650 noenhanced
		set output '$PNG'
		set title 'iccd: event latency, median (start / IP change / stop; 1 link x 3 ports)'
		set logscale xy
		set ytics ('1 us' 1, '10 us' 10, '100 us' 100, '1 ms' 1e3, '10 ms' 1e4, \\
		    '100 ms' 1e5, '1 s' 1e6, '10 s' 1e7, '100 s' 1e8)
		set xtics ('1,000' 1000, '10,000' 10000, '100,000' 100000)
		set xlabel 'link elements already loaded (L)'
		set ylabel 'per event'
		set key outside right
		set grid
		set xrange [500:200000]
		plot $cmd
	EOF
	[ -s "$PNG" ] || die "gnuplot wrote no $PNG"
}

# ---- main ------------------------------------------------------------------------------

mkdir -p "$OUT" "$RAW" || die "cannot create $OUT"
rm -f "$RAW"/*.txt
echo "section,scenario,L,n,median,p99,unit,note" >"$CSV" || die "cannot write $CSV"
STATE_FS=$(df --output=fstype "$TMP" | tail -n 1)
# ICC_BENCH_LABEL: what was measured, when not a git work tree (a copy).
ICCD_VERSION="$("$ICCD" --version 2>/dev/null | head -n 1)${ICC_BENCH_LABEL:+ ($ICC_BENCH_LABEL)}"
if command -v git >/dev/null 2>&1 && git -C "$ICC_SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
	ICCD_VERSION="$ICCD_VERSION (git $(git -C "$ICC_SRCDIR" describe --always --dirty 2>/dev/null))"
fi
T_BEGIN=$SECONDS
log "run $RUN: sizes $SIZES, $CYCLES cycles (3 events each), budget $BUDGET s per slow method"
log "iptables backend: $IPT_BACKEND; iptables-legacy too: $HAVE_LEGACY; state on $STATE_FS"
LISTENERS_BEGIN=$(nft_listeners)
log "nftables event listeners on this host: $LISTENERS_BEGIN"

setup_world
if [ "$COLD_ONLY" = no ]; then
	iperf_servers
	log "packet path without any table (bridge-nf-call-iptables 0, then 1)"
	bridge_nf 0
	packet_path no-table-no-brnf 0
	bridge_nf 1
	packet_path no-table 0
fi

for l in $SIZES; do
	dir=$TMP/L$l
	log "L=$l: generating the world"
	gen_world "$l" "$dir"
	bench_iccd "$l" "$dir"
	if [ "$COLD_ONLY" = yes ]; then
		rm -rf "$dir" "$TMP/state-$l"
		continue
	fi
	bench_ct_accept_path "$l" "$dir"
	if [ "$PACKET_ONLY" = no ]; then
		bench_floor_size "$l" "$dir"
		bench_nft "$l" "$dir"
		bench_ipt "$l" "$dir" "$IPT_BACKEND"
		[ "$HAVE_LEGACY" = no ] || bench_ipt "$l" "$dir" legacy
	fi
	bench_linear_path "$l" "$dir"
	rm -rf "$dir" "$TMP/state-$l"
done
if [ "$COLD_ONLY" = no ]; then
	log "packet path without any table again (drift check)"
	packet_path no-table-again 0
fi
LISTENERS_END=$(nft_listeners)
log "nftables event listeners on this host: $LISTENERS_END"
printf 'env,nft-event-listeners,0,2,%s,%s,sockets,"begin: %s; end: %s"\n' "${LISTENERS_BEGIN%% *}" \
	"${LISTENERS_END%% *}" "$LISTENERS_BEGIN" "$LISTENERS_END" >>"$CSV"

{
	print_table
	print_targets
	echo
	echo "CSV: $CSV"
	[ "$COLD_ONLY" = yes ] || [ "$PACKET_ONLY" = yes ] || echo "plot: $PNG"
	echo "took $((SECONDS - T_BEGIN)) s"
} >"$SUMMARY"
# Neither has event rows to plot.
[ "$COLD_ONLY" = yes ] || [ "$PACKET_ONLY" = yes ] || plot
cat "$SUMMARY"
