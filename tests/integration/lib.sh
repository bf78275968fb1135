# shellcheck shell=bash
#
# lib.sh: the fixture of iccd's integration tests, sourced by every
# tests/integration/tNN-*.sh.
#
# Each run builds its own little world out of network namespaces:
#
#   HOST ("host" namespace): bridge br0 10.88.0.1/24 fd88::1/64, iccd
#   one namespace per container: eth0 (a veth whose peer is a port of
#   br0 in HOST), lo up, optional IPv6 without DAD
#
# so traffic never leaves these namespaces, nothing in the root namespace
# is touched (except loading br_netfilter when it is missing), and runs
# can go on side by side: every name is unique to the run and a trap
# tears everything down however the test ends.
#
# Expectations never abort: each failing one prints a FAIL line (what,
# from, to, expected, got) and `finish` makes the test exit 1.  A setup
# step that cannot be done is fatal at once (exit 1): broken fixtures must
# not pass as skipped or green.
#
# What a test uses:
#   add_container NAME IP [IP6]     add_container_on BR ...   add_bridge
#   move_ip NAME IP [IP6]           in_ctr NAME CMD / in_host CMD
#   start_iccd / stop_iccd          iccctl ARGS (raw) / must ARGS (must succeed)
#   bind_args NAME (--port/--mac)   expect_bound WHAT NAME
#   raw_send NAME ARGS / raw_recv_* (icc-raw)
#   expect_{tcp,udp}_{ok,fail} FROM ADDR PORT [icc-probe options]
#   expect_ping_{ok,fail} FROM ADDR expect_neigh FROM ADDR6
#   kernel_elems [SET...]           expect_elems WHAT [SET...] <<EOF
#   expect_no_elem_addr WHAT ADDR.. expect_list WHAT LINE...  expect_list_none
#   pass / fail / finish
# FROM may be "host" (the host namespace); servers are started on demand
# in whichever container holds ADDR.

set -u

# ---- preconditions --------------------------------------------------------

# make distcheck configures with --disable-root-tests.
if [ "${ICC_ROOT_TESTS:-yes}" = no ]; then
	echo "SKIP: root tests disabled by configure"
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: integration tests need root (network namespaces, nftables)"
	exit 77
fi

ICC_TEST=$(basename "$0" .sh)

# fatal: the fixture itself is broken; as root this is a failure, not a
# skip.  Called inside $(...) it also stops the test itself (USR1), and it
# writes to stderr so that no command substitution swallows the message.
fatal() {
	printf 'FATAL: %s: %s\n' "$ICC_TEST" "$*" >&2
	[ "$BASHPID" = "$$" ] || kill -USR1 "$$"
	exit 1
}
trap 'exit 1' USR1

# Run straight from a built tree without make: default to the tree above.
ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ICC_BUILDDIR=${ICC_BUILDDIR:-$ICC_SRCDIR}
ICCD_BIN=$ICC_BUILDDIR/src/iccd/iccd
ICCCTL_BIN=$ICC_BUILDDIR/src/iccctl/iccctl
ICC_PROBE=$ICC_BUILDDIR/tests/integration/icc-probe
ICC_RAW=$ICC_BUILDDIR/tests/integration/icc-raw

# ICC_SLOW: how many times slower than a plain build iccd may run here:
# 10 under valgrind, 3 with ASan + UBSan.  Tests multiply the bounds of
# their waits for an event by it (they never assert a duration): a bound
# only says when to give up on an event that should have come.
ICC_SLOW=1
if [ "${ICC_VALGRIND:-0}" = 1 ]; then
	ICC_SLOW=10
elif grep -qa __asan_init "$ICCD_BIN" 2>/dev/null; then
	ICC_SLOW=3
fi

# How long a connection that must fail is given (ms): far above a LAN
# round trip, so a "fail" is never just a slow success.
ICC_FAIL_TIMEOUT=${ICC_FAIL_TIMEOUT:-1000}

for tool in ip nft ping sysctl timeout awk diff sort mktemp seq; do
	command -v "$tool" >/dev/null 2>&1 || fatal "required tool '$tool' not found"
done
for bin in "$ICCD_BIN" "$ICCCTL_BIN" "$ICC_PROBE"; do
	[ -x "$bin" ] || fatal "$bin is missing: build with make (make check builds icc-probe)"
done
# Bridged IPv4/IPv6 reaches the inet hooks only through br_netfilter.
if [ ! -d /proc/sys/net/bridge ]; then
	modprobe br_netfilter 2>/dev/null ||
		fatal "br_netfilter is not loaded and modprobe br_netfilter failed"
	[ -d /proc/sys/net/bridge ] || fatal "br_netfilter loaded but /proc/sys/net/bridge is missing"
fi

# ---- run state ------------------------------------------------------------

# Short and unique: pid plus a random number.  Only namespace names and
# the temporary directory carry it; interface names live inside the run's
# own namespaces, so they cannot clash with another run.
ICC_RUN="icc$$x$RANDOM"
ICC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$ICC_RUN.XXXXXX") || fatal "mktemp failed"
HOST="$ICC_RUN-host"
ICC_SOCK=$ICC_TMP/sock
ICC_STATE=$ICC_TMP/state
ICC_ICCD_LOG=$ICC_TMP/iccd.log
ICC_ICCD_PID=
ICC_ICCD_ARGS=()	# more iccd options for start_iccd (e.g. --rules-dir)
ICC_FAILS=0
ICC_CHECKS=0
ICC_NETNS=()		# every namespace this run created
ICC_PIDS=()		# every background process this run started
declare -A ICC_NSOF=()	# container name -> namespace
declare -A ICC_OWNER=()	# address -> container name ("host" for HOST)
declare -A ICC_IP4=()	# container name -> IPv4 address
declare -A ICC_IP6=()	# container name -> IPv6 address ("" if none)
declare -A ICC_PORT=()	# container name -> its bridge port (host side)
declare -A ICC_MAC=()	# container name -> the MAC of its eth0
declare -A ICC_SERVERS=()	# "name proto port" -> pid

# cleanup: kill what we started, delete our namespaces, keep the exit code.
# Processes still inside our namespaces are ours by construction; killing
# them by id keeps a namespace from living on after `ip netns del`.
icc_cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM USR1
	if [ "$rc" -ne 0 ] && [ -s "$ICC_ICCD_LOG" ]; then
		echo "---- iccd log (last 40 lines) ----"
		tail -n 40 "$ICC_ICCD_LOG"
		echo "----------------------------------"
	fi
	# iccd first, and waited for: under valgrind its leak report comes
	# at exit, and the SIGKILL sweep below must not cut it short.
	if [ -n "$ICC_ICCD_PID" ]; then
		kill "$ICC_ICCD_PID" 2>/dev/null
		iccd_reap "$ICC_ICCD_PID" || rc=1
	fi
	for pid in "${ICC_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ns in "${ICC_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for pid in "${ICC_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${ICC_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$ICC_TMP"
	exit "$rc"
}
trap icc_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- reporting ------------------------------------------------------------

log() { printf '%s\n' "$*"; }

# pass/fail: one line per expectation, so the log reads as a checklist.
pass() {
	ICC_CHECKS=$((ICC_CHECKS + 1))
	printf 'ok: %s\n' "$*"
}
fail() {
	ICC_CHECKS=$((ICC_CHECKS + 1))
	ICC_FAILS=$((ICC_FAILS + 1))
	printf 'FAIL: %s\n' "$*"
}

# finish: end of every test.  A dead iccd is a failure even if every
# traffic check happened to come out right.
finish() {
	if [ -n "$ICC_ICCD_PID" ] && ! kill -0 "$ICC_ICCD_PID" 2>/dev/null; then
		fail "iccd exited during the test (see its log below)"
	fi
	if [ "$ICC_FAILS" -gt 0 ]; then
		log "$ICC_TEST: $ICC_FAILS of $ICC_CHECKS checks failed"
		exit 1
	fi
	log "$ICC_TEST: all $ICC_CHECKS checks passed"
	exit 0
}

# ---- namespaces -----------------------------------------------------------

# in_ns NS CMD...: run CMD inside a namespace of this run.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# in_host CMD...: run CMD in the host namespace (where iccd and br0 live).
in_host() { in_ns "$HOST" "$@"; }

# in_ctr NAME CMD...: run CMD inside container NAME.
in_ctr() {
	local name=$1
	shift
	in_ns "$(ns_of "$name")" "$@"
}

ns_of() {
	local ns=${ICC_NSOF[$1]:-}
	[ -n "$ns" ] || fatal "no container called '$1' in this test"
	printf '%s\n' "$ns"
}

# new_netns NAME: create namespace NAME, recorded for cleanup before it
# exists so that a failure half-way still removes it.
new_netns() {
	ICC_NETNS+=("$1")
	ip netns add "$1" || fatal "ip netns add $1 failed"
	in_ns "$1" ip link set lo up || fatal "lo up in $1 failed"
	# No DAD anywhere: tentative addresses would make IPv6 checks racy.
	in_ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null ||
		fatal "cannot turn off IPv6 DAD in $1"
}

# add_bridge BR ADDR4/LEN [ADDR6/LEN]: a bridge in the host namespace.
# STP and multicast snooping off: ports forward at once and every port
# sees neighbour solicitations, so only iccd decides what passes.
add_bridge() {
	local br=$1 a4=$2 a6=${3:-}
	in_host ip link add "$br" type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 || fatal "cannot create bridge $br"
	in_host ip addr add "$a4" dev "$br" || fatal "cannot address $br"
	ICC_OWNER[${a4%/*}]=host
	if [ -n "$a6" ]; then
		in_host ip -6 addr add "$a6" dev "$br" nodad || fatal "cannot address $br (v6)"
		ICC_OWNER[${a6%/*}]=host
	fi
	in_host ip link set "$br" up || fatal "cannot bring $br up"
}

# setup_host: the host namespace with br0 and bridge netfilter on.  A
# test that sets ICC_BRIDGE_NF=0 before sourcing lib.sh gets them off
# instead, to see iccd turn them on itself.
setup_host() {
	local v=${ICC_BRIDGE_NF:-1}
	new_netns "$HOST"
	in_host sysctl -qw net.bridge.bridge-nf-call-iptables="$v" \
		net.bridge.bridge-nf-call-ip6tables="$v" >/dev/null ||
		fatal "cannot set net.bridge.bridge-nf-call-ip(6)tables=$v in the host namespace"
	ICC_NSOF[host]=$HOST
	add_bridge br0 10.88.0.1/24 fd88::1/64
}

# add_container_on BR NAME IP [IP6]: container NAME on bridge BR.
add_container_on() {
	local br=$1 name=$2 ip4=$3 ip6=${4:-} ns="$ICC_RUN-$2" port="v-$2"
	[ "${#port}" -le 15 ] || fatal "container name '$name' too long for an interface name"
	[ -z "${ICC_NSOF[$name]:-}" ] || fatal "container '$name' added twice"
	new_netns "$ns"
	ICC_NSOF[$name]=$ns
	in_ns "$ns" ip link add eth0 type veth peer name "$port" netns "$HOST" ||
		fatal "cannot create the veth pair of $name"
	in_host ip link set "$port" master "$br" up || fatal "cannot attach $port to $br"
	in_ns "$ns" ip addr add "$ip4/24" dev eth0 || fatal "cannot address $name"
	if [ -n "$ip6" ]; then
		in_ns "$ns" ip -6 addr add "$ip6/64" dev eth0 nodad ||
			fatal "cannot address $name (v6)"
	fi
	in_ns "$ns" ip link set eth0 up || fatal "cannot bring eth0 of $name up"
	ICC_IP4[$name]=$ip4
	ICC_IP6[$name]=$ip6
	ICC_OWNER[$ip4]=$name
	[ -z "$ip6" ] || ICC_OWNER[$ip6]=$name
	ICC_PORT[$name]=$port
	ICC_MAC[$name]=$(in_ns "$ns" cat /sys/class/net/eth0/address) ||
		fatal "cannot read the MAC of $name"
}

# bind_args NAME: the start options that bind NAME to its bridge port.
bind_args() {
	[ -n "${ICC_PORT[$1]:-}" ] || fatal "no container called '$1' in this test"
	printf -- '--port %s --mac %s\n' "${ICC_PORT[$1]}" "${ICC_MAC[$1]}"
}

# expect_bound WHAT NAME [CTR]: iccd binds NAME (test container CTR,
# default NAME) to its bridge port: list says "bound", the MAC is that of
# CTR's eth0 and the port is the host-side interface whose peer it is, a
# port of a bridge (what the OCI hook and the CNI plugin find themselves).
expect_bound() {
	local what=$1 name=$2 ctr=${3:-$2} js port mac want_mac peer_idx idx
	js=$(iccctl list --json | jq -c --arg n "$name" '.containers[] | select(.name == $n)')
	port=$(jq -r .port <<<"$js")
	mac=$(jq -r .mac <<<"$js")
	want_mac=$(in_ctr "$ctr" cat /sys/class/net/eth0/address)
	peer_idx=$(in_ctr "$ctr" cat /sys/class/net/eth0/iflink)
	idx=$(in_host cat "/sys/class/net/$port/ifindex" 2>/dev/null)
	if [ "$(jq -r .binding <<<"$js")" = bound ] && [ "$mac" = "$want_mac" ] &&
		[ -n "$idx" ] && [ "$idx" = "$peer_idx" ] &&
		in_host test -e "/sys/class/net/$port/master"; then
		pass "$what: $name bound to port $port, mac $mac"
	else
		fail "$what: $name: expected bound to its veth peer (mac $want_mac, ifindex $peer_idx); got $js"
	fi
}

# ---- raw frames (icc-raw) ---------------------------------------------------

# raw_send NAME ARGS...: crafted frames out of NAME's eth0 (see icc-raw.c).
raw_send() {
	local name=$1
	shift
	[ -x "$ICC_RAW" ] || fatal "$ICC_RAW is missing: build with make check"
	in_ctr "$name" "$ICC_RAW" send -i eth0 "$@" ||
		fatal "icc-raw send from $name failed: $*"
}

# raw_recv_start NAME MS TOKEN...: count, for MS ms, the frames on NAME's
# eth0 carrying each token (a "--in" among them: entering eth0 only);
# returns once the counter listens.
# raw_recv_result: waits for it; ICC_RECV_OUT gets its "TOKEN=count"
# lines (not a $(...): the counter is this shell's child).
ICC_RECV_PID=
raw_recv_start() {
	local name=$1 ms=$2 t i args=()
	shift 2
	[ -x "$ICC_RAW" ] || fatal "$ICC_RAW is missing: build with make check"
	for t in "$@"; do
		case $t in
		--in) args+=(--in) ;;	# only frames entering NAME
		*) args+=(--token "$t") ;;
		esac
	done
	rm -f "$ICC_TMP/recv.ready" "$ICC_TMP/recv.out"
	ip netns exec "$(ns_of "$name")" "$ICC_RAW" recv -i eth0 --ms "$ms" \
		--ready "$ICC_TMP/recv.ready" "${args[@]}" >"$ICC_TMP/recv.out" 2>&1 &
	ICC_RECV_PID=$!
	ICC_PIDS+=("$!")
	for i in $(seq 1 100); do
		[ -e "$ICC_TMP/recv.ready" ] && return 0
		sleep 0.05
	done
	fatal "icc-raw recv in $name never got ready"
}
ICC_RECV_OUT=
raw_recv_result() {
	wait "$ICC_RECV_PID" || fatal "icc-raw recv failed: $(cat "$ICC_TMP/recv.out")"
	ICC_RECV_OUT=$(cat "$ICC_TMP/recv.out")
	log "$ICC_RECV_OUT"
}

# count_of RESULT TOKEN: the count raw_recv_result gave TOKEN.
count_of() {
	printf '%s\n' "$1" | awk -F= -v t="$2" '$1 == t { print $2 }'
}

# expect_arrived WHAT RESULT TOKEN / expect_not_arrived WHAT RESULT TOKEN
expect_arrived() {
	local n
	n=$(count_of "$2" "$3")
	if [ "${n:-0}" -gt 0 ]; then
		pass "$1: arrived ($n frames)"
	else
		fail "$1: expected to arrive, no frame did"
	fi
}
expect_not_arrived() {
	local n
	n=$(count_of "$2" "$3")
	if [ -n "$n" ] && [ "$n" -eq 0 ]; then
		pass "$1: no frame arrived"
	else
		fail "$1: expected no frame, ${n:-?} arrived"
	fi
}

# add_container NAME IP [IP6]: a container on br0.
add_container() { add_container_on br0 "$@"; }

# flush_neigh: forget every neighbour entry of the run, as a gratuitous
# ARP would after an address moved: otherwise a packet to a moved address
# would still go to the old holder's MAC and fail for the wrong reason.
flush_neigh() {
	local ns
	for ns in "${ICC_NETNS[@]}"; do
		in_ns "$ns" ip neigh flush all >/dev/null 2>&1
	done
}

# move_ip NAME NEWIP [NEWIP6]: give container NAME new addresses inside
# its namespace (the old ones are removed); servers keep running since
# they listen on every address.
move_ip() {
	local name=$1 ip4=$2 ip6=${3:-} ns old4 old6
	ns=$(ns_of "$name")
	old4=${ICC_IP4[$name]}
	old6=${ICC_IP6[$name]:-}
	in_ns "$ns" ip addr del "$old4/24" dev eth0 || fatal "cannot remove $old4 from $name"
	unset "ICC_OWNER[$old4]"
	in_ns "$ns" ip addr add "$ip4/24" dev eth0 || fatal "cannot give $ip4 to $name"
	ICC_OWNER[$ip4]=$name
	ICC_IP4[$name]=$ip4
	if [ -n "$old6" ]; then
		in_ns "$ns" ip -6 addr del "$old6/64" dev eth0 || fatal "cannot remove $old6 from $name"
		unset "ICC_OWNER[$old6]"
	fi
	if [ -n "$ip6" ]; then
		in_ns "$ns" ip -6 addr add "$ip6/64" dev eth0 nodad || fatal "cannot give $ip6 to $name"
		ICC_OWNER[$ip6]=$name
	fi
	ICC_IP6[$name]=$ip6
	flush_neigh
	log "moved $name: $old4${old6:+ $old6} -> $ip4${ip6:+ $ip6}"
}

# ---- iccd and iccctl ------------------------------------------------------

# iccctl ARGS...: the real client on this run's socket.  timeout: a hung
# daemon must fail the test, not hang make check.
iccctl() {
	ICCD_SOCKET=$ICC_SOCK timeout 20 "$ICCCTL_BIN" "$@"
}

# must ARGS...: an iccctl call that must succeed (setup steps); logged.
must() {
	local out rc
	log "+ iccctl $*"
	out=$(iccctl "$@" 2>&1)
	rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  | /'
	if [ "$rc" -ne 0 ]; then
		fail "iccctl $*: expected success, got exit $rc"
		return 1
	fi
	return 0
}

# valgrind_wrap ARRAY [NAME]: with ICC_VALGRIND=1 (set by quickstart.sh
# test), fill ARRAY with the memcheck command a daemon of the test runs
# under: any error or leak makes valgrind exit 99, which iccd_reap fails
# on; its report goes to $ICC_TMP/valgrind[-NAME].PID.  Otherwise ARRAY
# stays empty.
valgrind_wrap() {
	local -n _wrap=$1
	local log=$ICC_TMP/valgrind${2:+-$2}.%p
	_wrap=()
	# shellcheck disable=SC2054 # commas inside valgrind's own values
	[ "${ICC_VALGRIND:-0}" = 1 ] && _wrap=(valgrind -q --leak-check=full
		--show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99
		"--suppressions=$ICC_SRCDIR/tests/valgrind.supp"
		"--log-file=$log")
	return 0
}

# start_iccd: iccd in the host namespace, in the foreground of a
# background job; returns once its socket answers `iccctl status`.
start_iccd() {
	local i
	mkdir -p "$ICC_STATE" || fatal "cannot create $ICC_STATE"
	log "+ iccd --foreground (host namespace)"
	# ip netns exec execs iccd in place: $! is iccd itself, not a shell.
	# ICC_VALGRIND=1 (set by quickstart.sh test): iccd under memcheck;
	# any error or leak makes valgrind exit 99, which iccd_reap fails on.
	local -a wrap=()
	valgrind_wrap wrap
	ip netns exec "$HOST" "${wrap[@]}" "$ICCD_BIN" --foreground \
		--socket "$ICC_SOCK" --state-dir "$ICC_STATE" \
		"${ICC_ICCD_ARGS[@]}" >>"$ICC_ICCD_LOG" 2>&1 &
	ICC_ICCD_PID=$!
	for i in $(seq 1 300); do
		if iccctl status >/dev/null 2>&1; then
			log "iccd is up (pid $ICC_ICCD_PID, ${i}00 ms at most)"
			return 0
		fi
		kill -0 "$ICC_ICCD_PID" 2>/dev/null ||
			fatal "iccd exited at start: $(tail -n 5 "$ICC_ICCD_LOG")"
		sleep 0.1
	done
	fatal "iccd did not answer iccctl status within 30 s"
}

# iccd_reap PID: wait for an iccd that was told to stop, and judge how it
# ended.  iccd exits 0 on SIGTERM, so any other status is a failure: 99 is
# valgrind's (an error or a leak, see ICC_VALGRIND); under ASan + UBSan
# (configure --enable-sanitizers) a report makes iccd exit 1 after
# writing it to its stderr, which is the log, so the log is read too (a
# report with halt_on_error off leaves the status alone).
ICC_SAN_RE='ERROR: AddressSanitizer|LeakSanitizer|runtime error:'
iccd_reap() {
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	if [ "$rc" -eq 99 ]; then
		echo "FAIL: valgrind found errors or leaks in iccd (pid $1):"
		cat "$ICC_TMP"/valgrind.* 2>/dev/null
		return 1
	fi
	if grep -qE -- "$ICC_SAN_RE" "$ICC_ICCD_LOG" 2>/dev/null; then
		echo "FAIL: a sanitizer report in iccd's log (pid $1, exit $rc):"
		grep -E -A 30 -- "$ICC_SAN_RE" "$ICC_ICCD_LOG" | head -n 60
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: iccd (pid $1) exited with status $rc, not 0, when told to stop"
		return 1
	fi
	return 0
}

# stop_iccd: SIGTERM, then wait for it to go.
stop_iccd() {
	local pid=$ICC_ICCD_PID
	[ -n "$pid" ] || return 0
	ICC_ICCD_PID=
	kill "$pid" 2>/dev/null
	iccd_reap "$pid" || fail "iccd did not stop cleanly (above)"
}

# ---- the kernel's view ----------------------------------------------------

# nft_table: the whole table as the kernel dumps it (ICC_TABLE: the name
# a test gave iccd with --table).
nft_table() { in_host nft list table inet "${ICC_TABLE:-icc}"; }

# nft_table_readable: nft_table without the rules nft lists but cannot
# read back (`ct reply proto-src` in a concatenation: the related
# rules, "#=" in rules/icc.nft), for tests that load a copy with nft.
nft_table_readable() { nft_table | grep -v 'ct reply proto-src'; }

# owner_marks_off: iccd's table is owned (owner + persist flags, see
# iccd(8)); nft 1.0.6 prints that as "# progname iccd" (memcheck's name
# under valgrind) after the table's brace and a line "flags owner", which
# rules/icc.nft leaves out.  Comparisons of the layout drop both.
owner_marks_off() {
	sed -e 's/^\(table [a-z0-9]* [^ ]* {\) # progname .*$/\1/' \
		-e '/^[[:space:]]*flags owner$/d'
}

# zero_counters: counters move with any traffic (the drop counter of
# isolate also counts the containers' own IPv6 multicast chatter, e.g. MLD
# reports), so comparisons of the table's layout zero them.
zero_counters() { sed 's/counter packets [0-9]* bytes [0-9]*/counter packets 0 bytes 0/'; }

# kernel_elems [SET...]: "SET ELEMENT" lines, sorted, from the kernel's
# own dump (default: the four link sets), e.g.
#   links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
#   ranges4 10.88.0.3 . 10.88.0.2 . tcp . 7000-7999
# nft 1.0.6 prints `elements = { a,\n\t\t\t     b }` in hash order, so the
# elements are joined, split on commas and sorted.
kernel_elems() {
	local want=" ${*:-links4 ranges4 links6 ranges6} " dump
	dump=$(nft_table) || { echo "kernel_elems: nft list table inet icc failed" >&2; return 1; }
	printf '%s\n' "$dump" | awk -v want="$want" '
		function flush(   n, i, a, e) {
			n = split(acc, a, ",")
			for (i = 1; i <= n; i++) {
				e = a[i]
				gsub(/^[ \t]+|[ \t]+$/, "", e)
				if (e != "" && index(want, " " set " "))
					print set " " e
			}
			acc = ""
		}
		$1 == "set" && $3 == "{" { set = $2; inel = 0; next }
		$1 == "chain" || $1 == "map" { set = ""; next }
		set != "" && !inel && $1 == "elements" {
			inel = 1
			sub(/^[^{]*\{/, "")
		}
		inel {
			line = $0
			if (index(line, "}")) {
				sub(/\}.*/, "", line)
				acc = acc " " line
				flush()
				inel = 0
			} else {
				acc = acc " " line
			}
		}' | LC_ALL=C sort
}

# expect_elems WHAT [SET...] <<EOF: the link sets hold exactly these
# "SET ELEMENT" lines (any order), nothing more.
expect_elems() {
	local what=$1 want have
	shift
	want=$(LC_ALL=C sort)
	if ! have=$(kernel_elems "$@"); then
		fail "$what: cannot dump the kernel's sets"
		return 1
	fi
	if [ "$have" = "$want" ]; then
		pass "$what: kernel sets hold exactly the expected elements"
		return 0
	fi
	fail "$what: kernel sets differ from the expected elements (- expected, + kernel):"
	diff <(printf '%s\n' "$want") <(printf '%s\n' "$have") | sed -n 's/^[<>]/  &/p' |
		sed 's/^  </  -/; s/^  >/  +/'
	return 1
}

# expect_no_elem_addr WHAT ADDR...: no element of any link set names ADDR
# as receiver or source.
expect_no_elem_addr() {
	local what=$1 have hits addr bad=0
	shift
	if ! have=$(kernel_elems); then
		fail "$what: cannot dump the kernel's sets"
		return 1
	fi
	for addr in "$@"; do
		hits=$(printf '%s\n' "$have" | awk -v a="$addr" '
			{ n = split(substr($0, index($0, " ") + 1), f, / \. /) }
			f[1] == a || f[2] == a')
		if [ -n "$hits" ]; then
			fail "$what: kernel elements still name $addr:"
			printf '%s\n' "$hits" | sed 's/^/  /'
			bad=1
		fi
	done
	[ "$bad" -eq 1 ] || pass "$what: no kernel element names $*"
	return "$bad"
}

# ---- iccctl list ----------------------------------------------------------

# expect_list WHAT LINE...: `iccctl list` has each LINE, whole (leading
# spaces included).
expect_list() {
	local what=$1 out line bad=0
	shift
	out=$(iccctl list 2>&1) || { fail "$what: iccctl list failed: $out"; return 1; }
	for line in "$@"; do
		if ! printf '%s\n' "$out" | grep -qxF -- "$line"; then
			fail "$what: iccctl list lacks the line '$line'"
			bad=1
		fi
	done
	if [ "$bad" -eq 0 ]; then
		pass "$what: iccctl list has $(printf "'%s' " "$@")"
	else
		printf '%s\n' "$out" | sed 's/^/  list| /'
	fi
	return "$bad"
}

# expect_list_none WHAT REGEX: no line of `iccctl list` matches REGEX.
expect_list_none() {
	local what=$1 re=$2 out
	out=$(iccctl list 2>&1) || { fail "$what: iccctl list failed: $out"; return 1; }
	if printf '%s\n' "$out" | grep -qE -- "$re"; then
		fail "$what: iccctl list has a line matching '$re':"
		printf '%s\n' "$out" | sed 's/^/  list| /'
		return 1
	fi
	pass "$what: iccctl list has no line matching '$re'"
}

# ---- traffic --------------------------------------------------------------

# owner_of ADDR: the container (or "host") holding ADDR in this test.
owner_of() {
	local o=${ICC_OWNER[$1]:-}
	[ -n "$o" ] || fatal "no container of this test holds $1"
	printf '%s\n' "$o"
}

# start_server NAME tcp|udp PORT: an echo server in container NAME (once),
# ready when it answers on the container's own loopback.
start_server() {
	local name=$1 proto=$2 port=$3 key="$1 $2 $3" ns i
	[ -z "${ICC_SERVERS[$key]:-}" ] || return 0
	ns=$(ns_of "$name")
	# Not through in_ns: a direct command makes $! the server itself.
	ip netns exec "$ns" "$ICC_PROBE" "$proto-server" "$port" \
		>>"$ICC_TMP/server-$name-$proto-$port.log" 2>&1 &
	ICC_PIDS+=("$!")
	ICC_SERVERS[$key]=$!
	for i in $(seq 1 50); do
		if in_ns "$ns" "$ICC_PROBE" "$proto" 127.0.0.1 "$port" --timeout 200 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	fatal "the $proto echo server on port $port in $name never answered"
}

# probe FROM PROTO ADDR PORT [OPTS...]: one icc-probe client in FROM;
# prints its line, returns its exit code.
probe() {
	local from=$1
	shift
	in_ctr "$from" "$ICC_PROBE" "$@" 2>&1
}

# prove_server WHEN PROTO ADDR PORT: the server answers from the host
# namespace (a path iccd never filters), so a failed probe means blocked,
# not dead or misaddressed.
prove_server() {
	local when=$1 proto=$2 addr=$3 port=$4 out
	if out=$(in_host "$ICC_PROBE" "$proto" "$addr" "$port" 2>&1); then
		return 0
	fi
	fail "control $when: $proto $addr:$port does not answer the host namespace ($out); the check is void"
	return 1
}

# expect_traffic OKFAIL PROTO FROM ADDR PORT [OPTS...]: the core of the
# expect_* functions below.
expect_traffic() {
	local want=$1 proto=$2 from=$3 addr=$4 port=$5 owner out rc what
	shift 5
	owner=$(owner_of "$addr")
	what="$proto $from -> $addr:$port ($owner)${*:+ [$*]}"
	start_server "$owner" "$proto" "$port"
	if [ "$want" = ok ]; then
		out=$(probe "$from" "$proto" "$addr" "$port" "$@")
		rc=$?
		if [ "$rc" -eq 0 ]; then
			pass "$what: expected to work: $out"
			return 0
		fi
		fail "$what: expected to work with reply; got: $out (exit $rc)"
		return 1
	fi
	prove_server before "$proto" "$addr" "$port" || return 1
	out=$(probe "$from" "$proto" "$addr" "$port" --timeout "$ICC_FAIL_TIMEOUT" "$@")
	rc=$?
	prove_server after "$proto" "$addr" "$port" || return 1
	# Blocked means dropped: the probe timed out.  A refusal, an echo
	# that did not come after a connection, or a local error is no
	# proof of iccd's drop (and a connection is a leak).
	if [ "$rc" -eq 1 ] && case $proto in
		tcp) [[ $out == *": connect timed out after "* ]] ;;
		*) [[ $out == *": no echo (timed out) after "* ]] ;;
		esac; then
		pass "$what: expected to fail: $out"
		return 0
	fi
	fail "$what: expected to time out (dropped); got: $out (exit $rc)"
	return 1
}

expect_tcp_ok() { expect_traffic ok tcp "$@"; }
expect_tcp_fail() { expect_traffic fail tcp "$@"; }
expect_udp_ok() { expect_traffic ok udp "$@"; }
expect_udp_fail() { expect_traffic fail udp "$@"; }

# expect_ping FROM ADDR ok|fail: one ICMP echo, one second.
expect_ping() {
	local from=$1 addr=$2 want=$3 owner out rc what
	owner=$(owner_of "$addr")
	what="ping $from -> $addr ($owner)"
	if [ "$want" = fail ] && ! in_host ping -n -c1 -W1 "$addr" >/dev/null 2>&1; then
		fail "control: $addr does not answer ping from the host namespace; the check is void"
		return 1
	fi
	out=$(in_ctr "$from" ping -n -c1 -W1 "$addr" 2>&1)
	rc=$?
	# A drop is exit 1 with "1 packets transmitted, 0 received" and no
	# error (an unreachable or a local error is no proof of a drop).
	if [ "$want" = fail ] && [ "$rc" -eq 1 ] &&
		! printf '%s\n' "$out" | grep -qiE 'unreachable|errors|^ping:' &&
		printf '%s\n' "$out" | grep -q '^1 packets transmitted, 0 received'; then
		rc=dropped
	fi
	out=$(printf '%s\n' "$out" | grep -E 'packets transmitted|bytes from|unreachable' | head -n 1)
	if { [ "$want" = ok ] && [ "$rc" = 0 ]; } || { [ "$want" = fail ] && [ "$rc" = dropped ]; }; then
		pass "$what: expected to $( [ "$want" = ok ] && echo work || echo fail): $out"
		return 0
	fi
	fail "$what: expected to $( [ "$want" = ok ] && echo work || echo fail); got: $out (exit $rc)"
	return 1
}
expect_ping_ok() { expect_ping "$1" "$2" ok; }
expect_ping_fail() { expect_ping "$1" "$2" fail; }

# expect_neigh FROM ADDR6: container FROM resolved ADDR6 by neighbour
# discovery (a link-layer address, not INCOMPLETE or FAILED), so ND
# crossed the isolated bridge.
expect_neigh() {
	local from=$1 addr=$2 out
	out=$(in_ctr "$from" ip -6 neigh show "$addr" dev eth0 2>&1)
	if printf '%s\n' "$out" | grep -qE 'lladdr .*(REACHABLE|STALE|DELAY|PROBE)'; then
		pass "neighbour discovery $from -> $addr: $out"
		return 0
	fi
	fail "neighbour discovery $from -> $addr: expected a resolved entry; got: '${out:-none}'"
	return 1
}

# ---- the world every test starts from -------------------------------------

setup_host

# ---- the model against the kernel ------------------------------------------

# model_elems: from `iccctl list --json` on stdin, the "SET ELEMENT" lines
# the kernel must hold (kernel_elems' format): the allow tuples of active
# links, the pair "receiver . source" of each with a port range (pairs4,
# pairs6: rules/icc.nft), and "closed" for every bridge with icc off.
model_elems() {
	jq -r '(.links[] | select(.state == "active") | .allow[]),
		(.bridges[] | select(.icc == false) | "closed \"\(.name)\" . \"\(.name)\"")' |
		awk '/^closed / { print; next }
			{ v6 = index($1, ":") > 0; r = index($NF, "-") > 0
			  print (r ? "ranges" : "links") (v6 ? "6" : "4") " " $0
			  if (r) print "pairs" (v6 ? "6" : "4") " " $1 " . " $3 }' |
		LC_ALL=C sort -u
}

ALL_SETS=(closed links4 ranges4 links6 ranges6 pairs4 pairs6)

# same WHAT EXPECTED HAVE: exact comparison, a diff on mismatch.
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
		return 0
	fi
	fail "$1: differs (- expected, + got):"
	diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed -n 's/^</  -/p; s/^>/  +/p'
	return 1
}

# expect_status_matches WHAT: iccd itself finds its table equal to the model.
expect_status_matches() {
	local what=$1 st
	if ! st=$(iccctl status --json); then
		fail "$what: iccctl status --json failed"
		return 1
	fi
	if [ "$(jq -r '"\(.present) \(.matches) \(.missing) \(.extra)"' <<<"$st")" = "true true 0 0" ]; then
		pass "$what: status: present, matches=true, missing=0, extra=0 ($(jq -r .elements <<<"$st") elements)"
		return 0
	fi
	fail "$what: status does not report a matching table: $(jq -c . <<<"$st")"
	return 1
}

# expect_kernel_is_model WHAT: the kernel's sets are exactly the model's
# elements as iccd lists them, and hold no line twice.
expect_kernel_is_model() {
	local what=$1 want have dups
	want=$(iccctl list --json | model_elems) || { fail "$what: iccctl list failed"; return 1; }
	have=$(kernel_elems "${ALL_SETS[@]}") || { fail "$what: cannot dump the kernel's sets"; return 1; }
	dups=$(printf '%s\n' "$have" | uniq -d)
	[ -z "$dups" ] || fail "$what: the kernel dump repeats elements: $dups"
	same "$what: kernel sets equal the model's elements ($(printf '%s\n' "$want" | grep -c .) lines)" \
		"$want" "$have"
}

# ---- nft monitor: what the kernel committed ---------------------------------
# monitor_start: `nft monitor` in the host namespace into $MON (killed at
# cleanup), returning once it shows events: it subscribes some time after
# it starts, and an event before that is never shown, so tables are added
# and deleted until one shows up.  Line-buffered: nft flushes its output
# after some events only, and a marker must show up as soon as nft has it.
monitor_start() {
	local i tag=${ICC_TEST%%-*}
	MON=$ICC_TMP/monitor.log
	MARKS=0
	ip netns exec "$HOST" stdbuf -oL nft monitor >"$MON" 2>&1 &
	MON_PID=$!
	ICC_PIDS+=("$MON_PID")
	for i in $(seq 1 $((100 * ICC_SLOW))); do
		if ! in_host nft add table inet "${tag}ready$i" ||
			! in_host nft delete table inet "${tag}ready$i"; then
			fatal "cannot add and delete table inet ${tag}ready$i"
		fi
		grep -q "^delete table inet ${tag}ready" "$MON" && return 0
		sleep 0.05
	done
	fatal "nft monitor never showed any event"
}

# monitor_mark: a change of a table of our own (inet tNNmarkM),
# waited for in $MON: everything committed before it is then in $MON too.
monitor_mark() {
	local t=${ICC_TEST%%-*}mark$MARKS i
	MARKS=$((MARKS + 1))
	in_host nft add table inet "$t" || fatal "cannot add table inet $t"
	in_host nft delete table inet "$t" || fatal "cannot delete table inet $t"
	# A bound on the wait only (a loaded machine, valgrind): the marker
	# normally shows within milliseconds.
	for i in $(seq 1 $((600 * ICC_SLOW))); do
		grep -q "^delete table inet $t\$" "$MON" && return 0
		sleep 0.05
	done
	kill -0 "$MON_PID" 2>/dev/null || log "nft monitor (pid $MON_PID) has exited"
	log "the monitor's last lines:"
	tail -n 5 "$MON" | sed 's/^/  monitor| /'
	fatal "nft monitor never showed the marker table $t"
}
