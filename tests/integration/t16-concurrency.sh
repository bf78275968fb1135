#!/bin/bash
# t16-concurrency: many clients at once.
#   burst: 50 concurrent iccctl clients send 1000 start/stop/IP-change/rm
#     requests in random order (receivers before sources as often as not)
#     for 20 linked containers; afterwards the kernel's link sets are
#     exactly the allow tuples of the active links iccd lists (nothing
#     missing, nothing stale, no duplicate) and `iccctl status` agrees;
#     then every container is started at its final address and traffic
#     proves it: every linked pair connects on the exposed ports, no
#     unlinked pair connects at all (every ordered pair is tried).
#   slow client: one client sends half a frame and stalls for the whole
#     test; the others are answered meanwhile, while it is still connected
#     (were iccd stuck on it, they would wait for its drop; their times are
#     printed, not judged) and iccd drops it after CONTROL_FRAME_TIMEOUT
#     (5 s; the test runs long enough anyway, so the wait costs little).
#   lost events: A runs at X; B starts at X on the same bridge without A
#     being stopped: A is now stopped, B holds X, no element names X, B
#     inherits none of A's access and nobody linked to A reaches B.
# Figures printed: requests, clients, wall time, requests/s, failures.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null 2>&1 || fatal "required tool 'jq' not found"
ICC_RAWCTL=$ICC_BUILDDIR/tests/integration/icc-rawctl
[ -x "$ICC_RAWCTL" ] || fatal "$ICC_RAWCTL is missing: build with make check"

NCTR=20			# containers
NEVENTS=1000		# requests in the burst
NCLIENTS=50		# concurrent clients
CONTROL_TIMEOUT=5	# CONTROL_FRAME_TIMEOUT in src/iccd/control.h
DROP_SLACK=$((4 * ICC_SLOW))	# s after CONTROL_TIMEOUT the drop may take

# ---- helpers ----------------------------------------------------------------

# ms_since T: milliseconds since EPOCHREALTIME value T.
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# ---- the containers and their links --------------------------------------------

SEED=${ICC_SEED:-$$}
RANDOM=$SEED
log "seed $SEED (set ICC_SEED to repeat)"

# cN: pool 10.88.0.(10N) .. (10N+3), the first one its final address (the
# one its namespace has); even N also have IPv6 fd88::(10N)...  Everyone
# exposes 8000/tcp; every third also 9000-9009/tcp, every fifth 8001/udp.
declare -A DECL=() POOL=() POOL6=() EXPOSE=() LINKED=()
NAMES=()
for i in $(seq 1 "$NCTR"); do
	n=$(printf 'c%02d' "$i")
	NAMES+=("$n")
	POOL[$n]="$(for k in 0 1 2 3; do printf '10.88.0.%d ' $((10 * i + k)); done)"
	POOL6[$n]=
	[ $((i % 2)) -ne 0 ] || POOL6[$n]="$(for k in 0 1 2 3; do printf 'fd88::%d ' $((10 * i + k)); done)"
	EXPOSE[$n]="--expose 8000/tcp"
	[ $((i % 3)) -ne 0 ] || EXPOSE[$n]+=" --expose 9000-9009/tcp"
	[ $((i % 5)) -ne 0 ] || EXPOSE[$n]+=" --expose 8001/udp"
done
# Two links per container, to two random others.
for n in "${NAMES[@]}"; do
	links=
	while [ "$(wc -w <<<"$links")" -lt 2 ]; do
		s=${NAMES[RANDOM % NCTR]}
		if [ "$s" = "$n" ] || [[ " $links " == *" $s:"* ]]; then
			continue
		fi
		links+=" $s:to$s"
		LINKED["$n $s"]=1
	done
	DECL[$n]="${EXPOSE[$n]}$(for l in $links; do printf ' --link %s' "$l"; done)"
done

for n in "${NAMES[@]}"; do
	read -r ip4 _ <<<"${POOL[$n]}"
	read -r ip6 _ <<<"${POOL6[$n]}"
	add_container "$n" "$ip4" "$ip6"
done
start_iccd

# ---- the slow client ---------------------------------------------------------------

# A header announcing 200 bytes and 10 of them, then nothing: iccd must
# keep serving the others and drop this one after CONTROL_TIMEOUT.
SLOW_OUT=$ICC_TMP/slow.out
"$ICC_RAWCTL" --wait $(((CONTROL_TIMEOUT + 30) * 1000)) "$ICC_SOCK" \
	hdr:200:1:1 'text:{"cmd":"li' >"$SLOW_OUT" 2>&1 &
SLOW_PID=$!
ICC_PIDS+=("$SLOW_PID")
T_SLOW=$EPOCHREALTIME
sleep 0.2
kill -0 "$SLOW_PID" 2>/dev/null || fatal "the slow client ended at once: $(cat "$SLOW_OUT")"

max=0
answered=0
for _ in $(seq 1 20); do
	t=$EPOCHREALTIME
	iccctl status >/dev/null && answered=$((answered + 1))
	ms=$(ms_since "$t")
	[ "$ms" -le "$max" ] || max=$ms
done
if [ "$answered" -eq 20 ] && kill -0 "$SLOW_PID" 2>/dev/null &&
	[ ! -s "$SLOW_OUT" ]; then
	pass "while a client stalls mid-frame: 20 status requests answered, the stalled client still connected (slowest $max ms)"
else
	fail "while a client stalls mid-frame: $answered of 20 status requests answered; the stalled client: $(cat "$SLOW_OUT")"
fi

# ---- the burst ---------------------------------------------------------------------

# One request: "start NAME IP [IP6]", "stop NAME" or "rm NAME".
# 60 % starts (an address from the pool: an IP change when it differs),
# 25 % stops, 15 % removals; any container, any order.
BURST=$ICC_TMP/burst
mkdir -p "$BURST" || fatal "mkdir $BURST"
for _ in $(seq 1 "$NEVENTS"); do
	n=${NAMES[RANDOM % NCTR]}
	r=$((RANDOM % 100))
	if [ "$r" -lt 60 ]; then
		k=$((RANDOM % 4))
		read -ra p4 <<<"${POOL[$n]}"
		read -ra p6 <<<"${POOL6[$n]}"
		echo "start $n ${p4[k]} ${p6[k]:-}"
	elif [ "$r" -lt 85 ]; then
		echo "stop $n"
	else
		echo "rm $n"
	fi
done | awk -v c="$NCLIENTS" -v d="$BURST" '{ print > (d "/" (NR % c) ".ev") }'

# client N: its requests one after another; "RC OUTPUT" per request.
client() {
	local f=$1 cmd n ip4 ip6 out rc
	while read -r cmd n ip4 ip6; do
		if [ "$cmd" = start ]; then
			# shellcheck disable=SC2086
			out=$(iccctl start "$n" --bridge br0 --ip "$ip4" ${ip6:+--ip6 "$ip6"} ${DECL[$n]} 2>&1)
		else
			out=$(iccctl "$cmd" "$n" 2>&1)
		fi
		rc=$?
		printf '%d %s %s: %s\n' "$rc" "$cmd" "$n" "${out:-ok}"
	done <"$f" >"${f%.ev}.res"
}

T0=$EPOCHREALTIME
PIDS=()
for f in "$BURST"/*.ev; do
	client "$f" &
	PIDS+=("$!")
	ICC_PIDS+=("$!")
done
for pid in "${PIDS[@]}"; do
	wait "$pid"
done
WALL_MS=$(ms_since "$T0")

sent=$(cat "$BURST"/*.res | wc -l)
ok_n=$(cat "$BURST"/*.res | awk '$1 == 0' | wc -l)
# stop or rm of a container another client just removed: a correct refusal.
refused=$(cat "$BURST"/*.res | awk '$1 != 0 && /name: no such container/' | wc -l)
failures=$((sent - ok_n - refused))
rate=$(awk -v n="$sent" -v ms="$WALL_MS" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }')
log "burst: $sent requests from $NCLIENTS concurrent clients in $WALL_MS ms ($rate requests/s):" \
	"$ok_n done, $refused refused as no such container, $failures failures"
same "burst: every request was sent" "$NEVENTS" "$sent"
if [ "$failures" -eq 0 ]; then
	pass "burst: no request failed (other than stop/rm of a removed container)"
else
	fail "burst: $failures requests failed:"
	cat "$BURST"/*.res | awk '$1 != 0 && !/name: no such container/' | head -n 20 | sed 's/^/  /'
fi
# The burst alone takes 10-17 s on a busy 2-CPU host, with or without
# sanitizers, and more under valgrind: when it outlasts CONTROL_TIMEOUT,
# iccd is right to have dropped the client; only a drop before it (the
# "eof MS" icc-rawctl printed) is wrong.  The drop is checked at the end.
slow=$(cat "$SLOW_OUT")
if kill -0 "$SLOW_PID" 2>/dev/null; then
	pass "the stalled client is still connected during the burst"
elif [[ $slow =~ ^eof\ ([0-9]+)$ ]] &&
	[ "${BASH_REMATCH[1]}" -ge $((CONTROL_TIMEOUT * 1000)) ]; then
	pass "the stalled client lasted until CONTROL_TIMEOUT (the burst outlasted it: $(ms_since "$T_SLOW") ms)"
else
	fail "the stalled client was dropped before CONTROL_TIMEOUT: $slow"
fi

expect_kernel_is_model "after the burst"
expect_status_matches "after the burst"

# ---- a known final state, proven by traffic --------------------------------------

for n in "${NAMES[@]}"; do
	read -r ip4 _ <<<"${POOL[$n]}"
	read -r ip6 _ <<<"${POOL6[$n]}"
	# shellcheck disable=SC2086
	must start "$n" --bridge br0 --ip "$ip4" ${ip6:+--ip6 "$ip6"} ${DECL[$n]}
done
expect_kernel_is_model "final state"
expect_status_matches "final state"
# Every link is active now (all sources run), two per container.
nactive=$(iccctl list --json | jq '[.links[] | select(.state == "active")] | length')
same "final state: all $((2 * NCTR)) links active" "$((2 * NCTR))" "$nactive"

for n in "${NAMES[@]}"; do
	start_server "$n" tcp 8000
	[[ "${EXPOSE[$n]}" != *9000-9009* ]] || start_server "$n" tcp 9005
	[[ "${EXPOSE[$n]}" != *8001/udp* ]] || start_server "$n" udp 8001
done

# probe_all OKFAIL FILE: run every "FROM PROTO ADDR PORT" line of FILE as
# a probe, 64 at a time; each must work (ok) or fail (fail).  Servers were
# proven from the host namespace before; a summary pass line, one FAIL
# line per wrong outcome.
probe_all() {
	local want=$1 file=$2 out=$ICC_TMP/probe.$1 from proto addr port total bad pid
	local -a batch=()
	: >"$out"
	# Only this batch's jobs are waited for: a bare `wait` would wait for
	# the servers too.
	while read -r from proto addr port; do
		{
			if [ "$want" = ok ]; then
				o=$(probe "$from" "$proto" "$addr" "$port")
			else
				o=$(probe "$from" "$proto" "$addr" "$port" --timeout "$ICC_FAIL_TIMEOUT")
			fi
			printf '%d %s %s %s %s: %s\n' "$?" "$from" "$proto" "$addr" "$port" "$o" >>"$out"
		} &
		batch+=("$!")
		ICC_PIDS+=("$!")
		[ "${#batch[@]}" -ge 64 ] || continue
		for pid in "${batch[@]}"; do wait "$pid"; done
		batch=()
	done <"$file"
	for pid in "${batch[@]}"; do wait "$pid"; done
	total=$(wc -l <"$out")
	if [ "$want" = ok ]; then
		bad=$(awk '$1 != 0' "$out")
	else
		bad=$(awk '$1 != 1' "$out")
	fi
	if [ -n "$bad" ]; then
		ICC_CHECKS=$((ICC_CHECKS + 1))
		ICC_FAILS=$((ICC_FAILS + 1))
		printf 'FAIL: %s of %s probes expected to %s did not:\n' "$(printf '%s\n' "$bad" | wc -l)" \
			"$total" "$([ "$want" = ok ] && echo work || echo fail)"
		printf '%s\n' "$bad" | sed 's/^/  /'
		return 1
	fi
	pass "all $total probes expected to $([ "$want" = ok ] && echo work || echo fail) did"
}

# prove_all WHEN: every server answers the host namespace.
prove_all() {
	local n ip6
	for n in "${NAMES[@]}"; do
		prove_server "$1" tcp "${ICC_IP4[$n]}" 8000
		ip6=${ICC_IP6[$n]}
		[ -z "$ip6" ] || prove_server "$1" tcp "$ip6" 8000
	done
}

LINKED_F=$ICC_TMP/linked UNLINKED_F=$ICC_TMP/unlinked
: >"$LINKED_F"
: >"$UNLINKED_F"
for r in "${NAMES[@]}"; do
	for s in "${NAMES[@]}"; do
		[ "$r" != "$s" ] || continue
		if [ -n "${LINKED["$r $s"]:-}" ]; then
			echo "$r tcp ${ICC_IP4[$s]} 8000" >>"$LINKED_F"
			[ -z "${ICC_IP6[$r]}" ] || [ -z "${ICC_IP6[$s]}" ] ||
				echo "$r tcp ${ICC_IP6[$s]} 8000" >>"$LINKED_F"
			[[ "${EXPOSE[$s]}" != *9000-9009* ]] || echo "$r tcp ${ICC_IP4[$s]} 9005" >>"$LINKED_F"
			[[ "${EXPOSE[$s]}" != *8001/udp* ]] || echo "$r udp ${ICC_IP4[$s]} 8001" >>"$LINKED_F"
		else
			echo "$r tcp ${ICC_IP4[$s]} 8000" >>"$UNLINKED_F"
			[ -z "${ICC_IP6[$r]}" ] || [ -z "${ICC_IP6[$s]}" ] ||
				echo "$r tcp ${ICC_IP6[$s]} 8000" >>"$UNLINKED_F"
		fi
	done
done
log "traffic: $(wc -l <"$LINKED_F") probes over the $((2 * NCTR)) links, $(wc -l <"$UNLINKED_F") over every unlinked ordered pair"
prove_all before
T_TRAFFIC=$EPOCHREALTIME
probe_all ok "$LINKED_F"
probe_all fail "$UNLINKED_F"
prove_all after
log "traffic checks took $(ms_since "$T_TRAFFIC") ms"

# ---- lost events: a start takes over a running container's address ----------------

log "---- lost events ----"
# la runs at X = 10.88.0.241, links ls (port 5000) and exposes 6000, which
# lr links.  Then la's namespace loses X and lb gets it, and lb is started
# at X without la ever being stopped (its stop event was lost).
X=10.88.0.241
add_container la "$X"
add_container lb 10.88.0.242
add_container ls 10.88.0.243
add_container lr 10.88.0.244
must start ls --bridge br0 --ip 10.88.0.243 --expose 5000/tcp
must start la --bridge br0 --ip "$X" --expose 6000/tcp --link ls:src
must start lr --bridge br0 --ip 10.88.0.244 --link la:a
expect_tcp_ok la 10.88.0.243 5000
expect_tcp_ok lr "$X" 6000
move_ip la 10.88.0.245
move_ip lb "$X"
must start lb --bridge br0 --ip "$X"
expect_list "lost stop" \
	"container la stopped bridge br0 ip $X expose 6000/tcp" \
	"container lb running bridge br0 ip $X" \
	"link la ls alias src pending" \
	"link lr la alias a pending"
expect_list_none "lost stop: nothing allowed at $X" "^  allow .*$X"
expect_no_elem_addr "lost stop" "$X"
expect_kernel_is_model "lost stop"
if grep -q "lb takes over la's address" "$ICC_ICCD_LOG"; then
	pass "lost stop: iccd logged the takeover"
else
	fail "lost stop: no 'lb takes over la's address' line in iccd's log"
fi
expect_tcp_fail lb 10.88.0.243 5000
expect_tcp_fail lr "$X" 6000
# la comes back at its new address: its links follow it, X stays shut.
must start la --bridge br0 --ip 10.88.0.245 --expose 6000/tcp --link ls:src
expect_tcp_ok la 10.88.0.243 5000
expect_tcp_ok lr 10.88.0.245 6000
expect_tcp_fail lr "$X" 6000
expect_kernel_is_model "la back at a new address"

# ---- the slow client's end ------------------------------------------------------------

left=$(( (CONTROL_TIMEOUT + DROP_SLACK + 10) * 1000 - $(ms_since "$T_SLOW") ))
log "waiting up to $((left > 0 ? left : 0)) ms for iccd to drop the stalled client"
for _ in $(seq 1 $(((left > 0 ? left : 0) / 100 + 1))); do
	kill -0 "$SLOW_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$SLOW_PID" 2>/dev/null
slow=$(cat "$SLOW_OUT")
case $slow in
eof\ *)
	ms=${slow#eof }
	if [ "$ms" -ge $((CONTROL_TIMEOUT * 1000)) ] && [ "$ms" -le $(((CONTROL_TIMEOUT + DROP_SLACK) * 1000)) ]; then
		pass "the stalled client was dropped after $ms ms, without a reply (CONTROL_TIMEOUT ${CONTROL_TIMEOUT} s)"
	else
		fail "the stalled client was dropped after $ms ms; expected $((CONTROL_TIMEOUT * 1000))-$(((CONTROL_TIMEOUT + DROP_SLACK) * 1000))"
	fi
	;;
*)
	fail "the stalled client: expected iccd to close it without a reply; got: ${slow:-nothing}"
	;;
esac
if iccctl status >/dev/null; then
	pass "iccd still answers"
else
	fail "iccd does not answer any more"
fi

log "figures: $sent requests, $NCLIENTS clients, $WALL_MS ms, $rate requests/s, $failures failures"
finish
