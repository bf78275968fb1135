#!/bin/bash
# t15-restart: iccd's declarations survive a restart, and a restart never
# opens a closed bridge.
#   (a) after SIGTERM and after kill -9, `iccctl list --json` and the
#       kernel table are what they were before;
#   (b) while iccd is down its table stays in the kernel: linked traffic
#       still passes, unlinked traffic across the closed bridge does not;
#   (c) kill -9 in the middle of a burst of ~200 start/stop/IP-change
#       requests from concurrent clients: after the restart every
#       acknowledged request is in the state (for each container, the
#       last acknowledged one, or one sent later whose answer the kill
#       cut off), the kernel table equals the model, and probes from an
#       unlinked container to a listening server, running through the
#       burst, the down time and the restart, never got through;
#   (d) drift while iccd is down (a stray element, a declared one
#       deleted, the closed bridge's element deleted) is undone at start:
#       the table equals the model exactly;
#   (e) state files left by a crash in the middle of a takeover of two
#       containers' addresses load with the later writer holding both.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null 2>&1 || fatal "required tool 'jq' not found"

# ---- helpers ----------------------------------------------------------------

# list_norm: `iccctl list --json` in a canonical form (iccd lists in hash
# order, which a restart may change): objects with sorted keys, arrays of
# bridges, containers and links sorted by name, allow lists sorted.
list_norm() {
	iccctl list --json | jq -S '
		.bridges |= sort_by(.name)
		| .containers |= sort_by(.name)
		| .links |= (map(.allow |= sort) | sort_by(.receiver, .alias))'
}

# skeleton: the table without its elements, counters zeroed: what must not
# change across restarts besides the elements.
skeleton() {
	nft_table | awk '
		!inel && /^[[:space:]]*elements = \{/ { inel = 1 }
		inel { if (index($0, "}")) inel = 0; next }
		{ print }' | sed 's/counter packets [0-9]* bytes [0-9]*/counter packets 0 bytes 0/'
}

# kill9_iccd: SIGKILL, no chance to clean up anything.
kill9_iccd() {
	kill -KILL "$ICC_ICCD_PID" 2>/dev/null
	wait "$ICC_ICCD_PID" 2>/dev/null
	ICC_ICCD_PID=
}

# expect_iccd_down: nothing answers on the socket.
expect_iccd_down() {
	if iccctl status >/dev/null 2>&1; then
		fail "$1: iccd still answers"
		return 1
	fi
	pass "$1: iccd is down"
}

# ---- the world ----------------------------------------------------------------
#   srv  exposes 8080/tcp and 7000-7010/tcp, serves 8080
#   web  links srv (alias db): may reach srv:8080
#   spy  running, never linked to srv: must never reach it
#   old  declared, stopped, with a pending link: survives as it is
add_container srv 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container spy 10.88.0.4 fd88::4
start_iccd
SRV_DECL=(--expose 8080/tcp --expose 7000-7010/tcp)
WEB_DECL=(--link srv:db)
SPY_DECL=(--link nobody:ghost --expose 22/tcp)
must start srv --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 "${SRV_DECL[@]}"
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 "${WEB_DECL[@]}"
must start spy --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 "${SPY_DECL[@]}"
must start old --bridge br0 --ip 10.88.0.50 --link srv:db --env A=1
must stop old
expect_tcp_ok web 10.88.0.2 8080
expect_tcp_ok web fd88::2 8080
expect_tcp_fail spy 10.88.0.2 8080

# ---- (a) + (b): clean restart, then kill -9 -----------------------------------

# snapshot: what must come back after each restart.
L0=$(list_norm) || fatal "iccctl list --json failed"
K0=$(kernel_elems "${ALL_SETS[@]}") || fatal "cannot dump the kernel's sets"
S0=$(skeleton) || fatal "cannot dump the table"
[ "$(printf '%s\n' "$K0" | grep -c .)" -eq 7 ] ||
	fatal "expected 7 kernel lines (closed + web's 4 elements + its 2 pairs) before the restarts, got: $K0"

# while_down HOW: iccd is gone: the table stays and still rules.
while_down() {
	local how=$1
	expect_iccd_down "after $how"
	same "after $how: the kernel still holds iccd's elements" "$K0" "$(kernel_elems "${ALL_SETS[@]}")"
	expect_tcp_fail spy 10.88.0.2 8080
	expect_tcp_fail spy fd88::2 8080
	expect_tcp_ok web 10.88.0.2 8080
}

# back_up HOW: after the restart, everything is as it was.
back_up() {
	local how=$1
	same "restart after $how: list --json equals the one before" "$L0" "$(list_norm)"
	same "restart after $how: kernel elements equal the ones before" "$K0" "$(kernel_elems "${ALL_SETS[@]}")"
	same "restart after $how: table layout unchanged" "$S0" "$(skeleton)"
	expect_status_matches "restart after $how"
	expect_tcp_ok web 10.88.0.2 8080
	expect_tcp_fail spy 10.88.0.2 8080
}

log "---- (a)/(b) SIGTERM ----"
stop_iccd
while_down SIGTERM
start_iccd
back_up SIGTERM

log "---- (a)/(b) SIGKILL ----"
kill9_iccd
while_down SIGKILL
start_iccd
back_up SIGKILL

# ---- (c): SIGKILL during a burst ------------------------------------------------

log "---- (c) SIGKILL during a burst ----"
BURST=$ICC_TMP/burst
mkdir -p "$BURST" || fatal "mkdir $BURST"
SEED=${ICC_SEED:-$$}
RANDOM=$SEED
log "burst seed $SEED (set ICC_SEED to repeat)"

# Twelve streams, each one container's requests in order, all streams at
# once.  b01..b10 are declarations only (no namespace needed: iccd does not
# look): each links srv and its neighbour, with addresses from a pool of
# its own (never spy's), so a start with another address is an IP change
# and never a takeover.  srv and spy join with their own declarations.
declare -A DECL=()
STREAMS=()
for i in $(seq 1 10); do
	n=$(printf 'b%02d' "$i")
	nx=$(printf 'b%02d' $((i % 10 + 1)))
	DECL[$n]="--expose 9000/tcp --link srv:db --link $nx:peer"
	STREAMS+=("$n")
	{
		base=$((100 + 10 * i))
		echo "start 10.88.0.$base$([ $((i % 2)) -eq 0 ] && echo " fd88::$base")"
		for _ in $(seq 1 16); do
			if [ $((RANDOM % 2)) -eq 0 ]; then
				echo stop
			else
				k=$((base + RANDOM % 4))
				echo "start 10.88.0.$k$([ $((i % 2)) -eq 0 ] && echo " fd88::$k")"
			fi
		done
	} >"$BURST/$n.ev"
done
DECL[srv]="${SRV_DECL[*]}"
DECL[spy]="${SPY_DECL[*]}"
for n in srv spy; do
	STREAMS+=("$n")
	ip4=${ICC_IP4[$n]} ip6=${ICC_IP6[$n]}
	for _ in $(seq 1 8); do
		echo "start $ip4 $ip6"
		echo stop
	done >"$BURST/$n.ev"
	echo "start $ip4 $ip6" >>"$BURST/$n.ev"
done
BURST_EVENTS=$(cat "$BURST"/*.ev | wc -l)

# burst_worker NAME: send NAME's requests in order; one line per request in
# NAME.res: "INDEX CLASS EVENT", CLASS being ack (exit 0), down (iccctl
# could not connect: certainly not applied; the worker stops there) or
# cut (sent, no answer: may or may not have been applied).
burst_worker() {
	local name=$1 j=0 ev out rc class
	local -a a
	while read -r ev; do
		j=$((j + 1))
		read -ra a <<<"$ev"
		if [ "${a[0]}" = stop ]; then
			out=$(iccctl stop "$name" 2>&1)
		else
			# shellcheck disable=SC2086
			out=$(iccctl start "$name" --bridge br0 --ip "${a[1]}" \
				${a[2]:+--ip6 "${a[2]}"} ${DECL[$name]} 2>&1)
		fi
		rc=$?
		if [ "$rc" -eq 0 ]; then
			class=ack
		elif printf '%s\n' "$out" | grep -q 'cannot reach iccd'; then
			class=down
		else
			class="cut"
		fi
		printf '%d %s %s\n' "$j" "$class" "$ev" >>"$BURST/$name.res"
		[ "$class" != cut ] || printf '%s: %s\n' "$name $j" "$out" >>"$BURST/cut.log"
		[ "$class" != down ] || break
	done <"$BURST/$name.ev"
}

# probe_loop N: in spy, TCP probes of srv:8080 until the stop file shows
# up; one line per attempt: "EPOCHREALTIME RC".
PROBE_STOP=$ICC_TMP/probe.stop
probe_loop() {
	# shellcheck disable=SC2016
	ip netns exec "$(ns_of spy)" bash -c '
		while [ ! -e "$1" ]; do
			t=$EPOCHREALTIME
			"$2" tcp 10.88.0.2 8080 --timeout 100 >/dev/null 2>&1
			echo "$t $?"
		done' probe "$PROBE_STOP" "$ICC_PROBE" >"$ICC_TMP/probe.$1" 2>&1 &
	ICC_PIDS+=("$!")
	PROBE_PIDS+=("$!")
}
PROBE_PIDS=()

# probes_after WHAT T: wait until every probe loop has begun an attempt
# after EPOCHREALTIME value T (an event, not a time: the window checks
# below need attempts inside it however slow the machine is).
probes_after() {
	local what=$1 t=$2 p i ok
	for i in $(seq 1 $((200 * ICC_SLOW))); do
		ok=1
		for p in 1 2 3; do
			awk -v t="$t" '$1 > t { f = 1 } END { exit !f }' "$ICC_TMP/probe.$p" 2>/dev/null || ok=0
		done
		[ "$ok" -eq 0 ] || return 0
		sleep 0.05
	done
	fatal "the probe loops made no attempt $what"
}

prove_server before tcp 10.88.0.2 8080 || fatal "srv:8080 is not listening"
for p in 1 2 3; do
	probe_loop "$p"
done
# ICMP at 100 packets a second samples the window more densely than TCP
# attempts can: no link element ever allows ICMP, so any echo reply means
# the bridge was open.
ip netns exec "$(ns_of spy)" ping -n -q -i 0.01 10.88.0.2 >"$ICC_TMP/ping.out" 2>&1 &
PING_PID=$!
ICC_PIDS+=("$PING_PID")
probes_after "before the burst" 0

T_BURST=$EPOCHREALTIME
WORKERS=()
for n in "${STREAMS[@]}"; do
	burst_worker "$n" &
	WORKERS+=("$!")
	ICC_PIDS+=("$!")
done
# Kill iccd once about half of the requests are answered.
half=$((BURST_EVENTS / 2))
for _ in $(seq 1 3000); do
	done_n=$(cat "$BURST"/*.res 2>/dev/null | wc -l)
	[ "$done_n" -lt "$half" ] || break
	sleep 0.01
done
T_KILL=$EPOCHREALTIME
kill9_iccd
log "iccd killed (SIGKILL) after $done_n of $BURST_EVENTS requests had an outcome"
for pid in "${WORKERS[@]}"; do
	wait "$pid"
done
T_DRAINED=$EPOCHREALTIME
probes_after "while iccd was down" "$T_KILL"
start_iccd
T_UP=$EPOCHREALTIME
probes_after "after the restart" "$T_UP"
touch "$PROBE_STOP"
for pid in "${PROBE_PIDS[@]}"; do
	wait "$pid"
done
kill -INT "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null

acked=$(cat "$BURST"/*.res | awk '$2 == "ack"' | wc -l)
cut=$(cat "$BURST"/*.res | awk '$2 == "cut"' | wc -l)
down=$(cat "$BURST"/*.res | awk '$2 == "down"' | wc -l)
unsent=$((BURST_EVENTS - acked - cut - down))
log "burst: $BURST_EVENTS requests in ${#STREAMS[@]} concurrent streams:" \
	"$acked acknowledged, $cut cut off by the kill, $down refused while down, $unsent not sent"
[ -s "$BURST/cut.log" ] && sed 's/^/  cut: /' "$BURST/cut.log"
if [ "$acked" -gt 0 ] && [ $((down + unsent)) -gt 0 ]; then
	pass "the kill landed inside the burst ($acked answered before it, $((down + unsent)) not applied after it)"
else
	fail "the kill did not land inside the burst (acked $acked, down $down, unsent $unsent): the check is void"
fi

# Each stream's final state must be one its requests allow: the state
# after its last acknowledged request, or after a later request that was
# cut off (sent, maybe applied).  "absent" when nothing was acknowledged.
# A state is "running IP [IP6]" or "stopped".
state_of_event() {
	local -a a
	read -ra a <<<"$1"
	if [ "${a[0]}" = stop ]; then
		echo stopped
	else
		echo "running ${a[*]:1}"
	fi
}
final=$(iccctl list --json | jq -r '.containers[] |
	"\(.name) \(if .running then "running \(.ip)\(if .ip6 then " \(.ip6)" else "" end)" else "stopped" end)"') ||
	fatal "iccctl list --json failed after the burst"
bad=0
for n in "${STREAMS[@]}"; do
	have=$(printf '%s\n' "$final" | awk -v n="$n" '$1 == n { $1 = ""; sub(/^ /, ""); print }')
	[ -n "$have" ] || have=absent
	allowed=()
	last_ack=$(awk '$2 == "ack" { k = $1 } END { print k + 0 }' "$BURST/$n.res")
	if [ "$last_ack" -eq 0 ]; then
		allowed+=(absent)
	else
		allowed+=("$(state_of_event "$(awk -v k="$last_ack" '$1 == k { $1 = $2 = ""; sub(/^  /, ""); print }' "$BURST/$n.res")")")
	fi
	while read -r j class ev; do
		[ "$j" -gt "$last_ack" ] && [ "$class" = cut ] && allowed+=("$(state_of_event "$ev")")
	done <"$BURST/$n.res"
	ok=0
	for s in "${allowed[@]}"; do
		[ "$s" = "$have" ] && ok=1
	done
	if [ "$ok" -eq 1 ]; then
		pass "$n after the kill: '$have' (last acknowledged request #$last_ack; allowed: $(printf "'%s' " "${allowed[@]}"))"
	else
		fail "$n after the kill: expected one of $(printf "'%s' " "${allowed[@]}"), got '$have'"
		sed 's/^/  sent: /' "$BURST/$n.res"
		bad=1
	fi
done

# The declarations beyond address and state came back whole.
for n in $(printf '%s\n' "$final" | awk '$1 ~ /^b[0-9][0-9]$/ { print $1 }'); do
	nx=$(printf 'b%02d' $((10#${n#b} % 10 + 1)))
	got=$(iccctl list --json | jq -c --arg n "$n" '[(.containers[] | select(.name == $n) | .expose),
		([.links[] | select(.receiver == $n) | "\(.source):\(.alias)"] | sort)]')
	want="[[\"9000/tcp\"],[\"$nx:peer\",\"srv:db\"]]"
	same "$n: expose and links survived" "$want" "$got"
done

expect_status_matches "after the kill and restart"
expect_kernel_is_model "after the kill and restart"

# The probes: none got through; some ran while iccd was down.
attempts=0 successes=0 local_errors=0 in_down=0
for p in 1 2 3; do
	read -r a s e d < <(awk -v k="$T_KILL" -v u="$T_UP" '
		{ n++; if ($2 == 0) s++; else if ($2 != 1) e++
		  if ($1 >= k && $1 <= u) d++ }
		END { print n + 0, s + 0, e + 0, d + 0 }' "$ICC_TMP/probe.$p")
	attempts=$((attempts + a)) successes=$((successes + s))
	local_errors=$((local_errors + e)) in_down=$((in_down + d))
done
window=$(awk -v a="$T_BURST" -v k="$T_KILL" -v d="$T_DRAINED" -v u="$T_UP" \
	'BEGIN { printf "burst to kill %.0f ms, down %.0f ms (clients drained after %.0f ms)", (k - a) * 1000, (u - k) * 1000, (d - k) * 1000 }')
log "window: $window"
log "probes spy -> srv:8080: $attempts attempts, $in_down while iccd was down, $successes succeeded, $local_errors local errors"
if [ "$attempts" -gt 0 ] && [ "$in_down" -gt 0 ]; then
	pass "probes ran through the window ($attempts attempts, $in_down while iccd was down)"
else
	fail "probes did not cover the window ($attempts attempts, $in_down while down): the check is void"
fi
if [ "$successes" -eq 0 ] && [ "$local_errors" -eq 0 ]; then
	pass "no probe from the unlinked spy reached srv:8080 during the burst, the kill and the restart"
else
	fail "probes from the unlinked spy: $successes reached srv:8080, $local_errors failed locally (expected 0 and 0)"
fi
ping_line=$(grep 'packets transmitted' "$ICC_TMP/ping.out")
sent=$(awk '{ print $1 }' <<<"$ping_line")
received=$(awk '{ print $4 }' <<<"$ping_line")
if [ "${sent:-0}" -gt 0 ] && [ "${received:-x}" = 0 ]; then
	pass "ICMP spy -> srv through the window: $ping_line"
else
	fail "ICMP spy -> srv through the window: expected echoes sent and none answered; got: ${ping_line:-no summary}"
fi
prove_server after tcp 10.88.0.2 8080

# ---- (d): drift while iccd is down ----------------------------------------------

log "---- (d) drift while down ----"
must start srv --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 "${SRV_DECL[@]}"
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 "${WEB_DECL[@]}"
must start spy --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 "${SPY_DECL[@]}"
expect_kernel_is_model "before the drift"
stop_iccd
in_host nft add element inet icc links4 '{ 10.88.0.4 . 10.88.0.2 . tcp . 8080 }' ||
	fatal "cannot add the stray element"
in_host nft add element inet icc ranges6 '{ fd88::4 . fd88::2 . tcp . 7000-7010 }' ||
	fatal "cannot add the stray range"
in_host nft delete element inet icc links4 '{ 10.88.0.3 . 10.88.0.2 . tcp . 8080 }' ||
	fatal "cannot delete the declared element"
# The drift is real: the stray lets spy in, web is locked out.
expect_tcp_ok spy 10.88.0.2 8080
expect_tcp_fail web 10.88.0.2 8080
in_host nft delete element inet icc closed '{ "br0" . "br0" }' ||
	fatal "cannot delete the closed element of br0"
start_iccd
expect_kernel_is_model "restart after drift"
expect_status_matches "restart after drift"
expect_tcp_fail spy 10.88.0.2 8080
expect_tcp_fail spy fd88::2 7005
expect_tcp_ok web 10.88.0.2 8080
expect_tcp_ok web fd88::2 8080

# ---- (e): a takeover cut in half by a crash --------------------------------------

log "---- (e) half-written takeover ----"
# p3 starts at 10.88.0.70 and fd88::70, taking the first from p1 and the
# second from p2 (both running, both linked to srv): one transaction that
# writes p3's file, then p1's, then p2's.  A crash right after p3's file
# leaves all three running on disk; state.h: "the later one wins on load",
# so p1 and p2 must come back stopped and nothing may name p3's addresses
# for them (p3 itself has no link: it must not reach srv).
add_container p3 10.88.0.70 fd88::70
stop_iccd
cat >"$ICC_STATE/c/p1.json" <<'END'
{"bridge":"br0","ip":"10.88.0.70","links":["srv:db"],"name":"p1","running":true,"seq":1000001}
END
cat >"$ICC_STATE/c/p2.json" <<'END'
{"bridge":"br0","ip":"10.88.0.71","ip6":"fd88::70","links":["srv:db"],"name":"p2","running":true,"seq":1000002}
END
cat >"$ICC_STATE/c/p3.json" <<'END'
{"bridge":"br0","ip":"10.88.0.70","ip6":"fd88::70","name":"p3","running":true,"seq":1000003}
END
start_iccd
expect_list "half-written takeover" \
	"container p1 stopped bridge br0 ip 10.88.0.70" \
	"container p2 stopped bridge br0 ip 10.88.0.71 ip6 fd88::70" \
	"container p3 running bridge br0 ip 10.88.0.70 ip6 fd88::70"
expect_no_elem_addr "half-written takeover" 10.88.0.70 fd88::70 10.88.0.71
expect_kernel_is_model "half-written takeover"
expect_status_matches "half-written takeover"
expect_tcp_fail p3 10.88.0.2 8080
expect_tcp_fail p3 fd88::2 8080

finish
