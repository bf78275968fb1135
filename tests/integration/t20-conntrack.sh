#!/bin/bash
# t20-conntrack: flows that lose their access stop at once.  Replies, and
# every packet of a connection after its first, pass on conntrack's word
# (ct state established,related accept), so deleting an element only
# stops new connections; iccd must also delete the conntrack entries of
# the flows it allowed (ctnetlink), and after repairing its table the
# entries of flows that were accepted while the table was not its own.
#
# Each case keeps flows open with icc-probe's stream clients (a numbered
# line every 100 ms, echoed; "stopped" when a line waits 800 ms) and
# checks, after the change returned:
#   - a cut flow stops by itself (without the cut it would flow on for
#     ever: conntrack keeps it established); the wait for that is bounded
#     only to end the test, scaled by ICC_SLOW;
#   - a flow the change leaves allowed goes on flowing.
# Hairpin NAT (web -> a port of the host's address -> DNAT to db) is
# judged like direct traffic: linked passes, unlinked is dropped.
# Cases: unlink, stop, rm of the receiver and of the source, IP change
# (the old address stays on db's interface, so that only conntrack could
# keep the old flows alive), an exposed range that shrinks in the middle
# (only the ports taken away are cut), closing a bridge (icc on -> off),
# and the window case: a UDP flood between two unlinked containers gets
# through while iccd is held (SIGSTOP) and the ruleset flushed; after the
# repair that follows SIGCONT nothing of it gets through.  Timings (last
# echo after the change, iccd's cuts from its log) are printed, not
# asserted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

STREAM_TIMEOUT=800	# ms a line may wait for its echo
CUT_WITHIN=$((5000 * ICC_SLOW))	# ms to wait for a cut flow to stop
FLOOD_SPORT=47123	# the window flood's source port: one conntrack entry
declare -A STREAM_PID=()

# now_ms: wall clock in ms, as icc-probe prints it.
now_ms() { local t=$EPOCHREALTIME; t=${t//[.,]/}; echo "${t:0:-3}"; }

# ms_sleep MS: sleep MS milliseconds (nothing when MS <= 0).
ms_sleep() {
	[ "$1" -le 0 ] || sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# field LOG NAME: the last value of NAME= in a stream's log.
field() { sed -n "s/.*[ ;]$2=\([0-9]*\).*/\1/p" "$1" | tail -n 1; }

# start_stream_server NAME PORT: tcp-stream-server in NAME, recorded as
# NAME's tcp server on PORT so that expect_tcp_* probes use it too (it
# echoes their line as well) and no second server shares the port.
start_stream_server() {
	local name=$1 port=$2 i
	ip netns exec "$(ns_of "$name")" "$ICC_PROBE" tcp-stream-server "$port" \
		>>"$ICC_TMP/server-$name-stream-$port.log" 2>&1 &
	ICC_PIDS+=("$!")
	ICC_SERVERS["$name tcp $port"]=$!
	for i in $(seq 1 50); do
		in_ctr "$name" "$ICC_PROBE" tcp 127.0.0.1 "$port" --timeout 200 \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fatal "the tcp stream server on port $port in $name never answered"
}

# stream_start ID FROM PROTO ADDR PORT [OPTS...]: a stream client in FROM
# in the background, its lines in $ICC_TMP/stream-ID.log.
stream_start() {
	local id=$1 from=$2 proto=$3 addr=$4 port=$5
	shift 5
	[ "$proto" = udp ] && start_server "$(owner_of "$addr")" udp "$port"
	ip netns exec "$(ns_of "$from")" "$ICC_PROBE" "$proto-stream" "$addr" \
		"$port" --timeout "$STREAM_TIMEOUT" "$@" \
		>"$ICC_TMP/stream-$id.log" 2>&1 &
	STREAM_PID[$id]=$!
	ICC_PIDS+=("$!")
}

# flows ID: stream ID said it flows and has not stopped since (a stream
# without --keep-going exits when a line waits STREAM_TIMEOUT ms).
flows() {
	grep -q ': flowing' "$ICC_TMP/stream-$1.log" &&
		kill -0 "${STREAM_PID[$1]}" 2>/dev/null
}

# streams_flowing ID...: each stream flows, and still does a timeout later.
streams_flowing() {
	local id i ok
	for i in $(seq 1 200); do
		ok=1
		for id in "$@"; do
			flows "$id" || ok=0
		done
		[ "$ok" -eq 1 ] && break
		sleep 0.05
	done
	ms_sleep $((STREAM_TIMEOUT + 100))
	for id in "$@"; do
		if ! flows "$id"; then
			fail "control: stream $id does not flow; the check is void:"
			sed 's/^/  | /' "$ICC_TMP/stream-$id.log"
			return 1
		fi
	done
	pass "control: streams $* flow"
}

# stream_wait ID MS: wait up to MS ms for stream ID to exit; its status,
# or 255 when it still runs.
stream_wait() {
	local id=$1 ms=$2 i
	for i in $(seq 1 $((ms / 20))); do
		kill -0 "${STREAM_PID[$id]}" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "${STREAM_PID[$id]}" 2>/dev/null; then
		return 255
	fi
	wait "${STREAM_PID[$id]}"
}

# stream_stop ID: SIGTERM, then its exit status.
stream_stop() {
	kill "${STREAM_PID[$1]}" 2>/dev/null
	wait "${STREAM_PID[$1]}"
}

# expect_cut WHAT T0 ID...: each stream stopped by itself (it would flow
# for ever without the cut); CUT_WITHIN ms after T0 (when the change
# returned) it is given up on.
expect_cut() {
	local what=$1 t0=$2 id rc log last lost
	shift 2
	for id in "$@"; do
		log=$ICC_TMP/stream-$id.log
		stream_wait "$id" "$CUT_WITHIN"
		rc=$?
		[ "$rc" -ne 255 ] || stream_stop "$id"
		last=$(field "$log" last_echo_ms)
		lost=$(field "$log" sent_ms)
		if [ "$rc" -eq 255 ]; then
			fail "$what: stream $id still flows ${CUT_WITHIN} ms after the change (last echo $((last - t0)) ms after it):"
			tail -n 2 "$log" | sed 's/^/  | /'
		elif [ "$rc" -ne 1 ] || [ -z "$lost" ]; then
			fail "$what: stream $id ended with status $rc, not by a stopped flow:"
			sed 's/^/  | /' "$log"
		else
			pass "$what: stream $id cut (last echo $((last - t0)) ms, first unanswered line sent $((lost - t0)) ms after the change)"
		fi
	done
}

# expect_still WHAT T0 ID...: each stream still flows a stream timeout
# after T0 (the change), then it is stopped.
expect_still() {
	local what=$1 t0=$2 id log
	shift 2
	ms_sleep $((t0 + STREAM_TIMEOUT + 200 - $(now_ms)))
	for id in "$@"; do
		log=$ICC_TMP/stream-$id.log
		if flows "$id" && stream_stop "$id" && grep -q 'still flowing' "$log"; then
			pass "$what: stream $id still flows ($(field "$log" echoes) echoes)"
		else
			stream_stop "$id"
			fail "$what: stream $id should flow on but stopped:"
			tail -n 2 "$log" | sed 's/^/  | /'
		fi
	done
}

# timed_change ARGS...: iccctl ARGS must succeed; T0 gets the wall clock
# (ms) when it returned.
T0=0
timed_change() {
	must "$@"
	T0=$(now_ms)
}

# cut_log: iccd's conntrack lines since the last call.
CUT_LINES=0
cut_log() {
	local n
	n=$(wc -l <"$ICC_ICCD_LOG")
	sed -n "$((CUT_LINES + 1)),${n}p" "$ICC_ICCD_LOG" | grep 'conntrack:' |
		sed 's/^/  iccd| /'
	CUT_LINES=$n
}

# status_field NAME: one field of `iccctl status --json`.
status_field() {
	iccctl status --json 2>/dev/null | sed -n "s/^ *\"$1\": //p" |
		sed 's/,$//; s/^"//; s/"$//'
}

# ---- the world ----------------------------------------------------------

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container app 10.88.0.5 fd88::5
add_container other 10.88.0.4 fd88::4
# The window case needs a table that `nft flush ruleset` can flush: an
# unowned one, as on kernels without the persist flag (before 6.9).
ICC_ICCD_ARGS=(--no-own-table)
start_iccd
DB_PORTS=(--expose 3306/tcp --expose 5353/udp --expose 7000-7999/tcp)
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 "${DB_PORTS[@]}"
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start app --bridge br0 --ip 10.88.0.5 --ip6 fd88::5 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4 --ip6 fd88::4
start_stream_server db 3306
start_stream_server db 7500
start_stream_server db 7700
start_stream_server db 7900
expect_tcp_ok web 10.88.0.2 3306
expect_udp_ok web fd88::2 5353
expect_tcp_fail other 10.88.0.2 3306
cut_log >/dev/null

# web's four flows to db and app's one.
start_web_streams() {
	stream_start tcp4 web tcp 10.88.0.2 3306
	stream_start tcp6 web tcp fd88::2 3306
	stream_start udp4 web udp 10.88.0.2 5353
	stream_start udp6 web udp fd88::2 5353
	stream_start app4 app tcp 10.88.0.2 3306
	streams_flowing tcp4 tcp6 udp4 udp6 app4
}

# ---- unlink ---------------------------------------------------------------

log "== unlink web aliasdb"
start_web_streams
timed_change unlink web aliasdb
expect_cut "unlink" "$T0" tcp4 tcp6 udp4 udp6
expect_still "unlink (app keeps its link)" "$T0" app4
cut_log
expect_tcp_fail web 10.88.0.2 3306
must link web db:aliasdb

# ---- stop -----------------------------------------------------------------

log "== stop db"
start_web_streams
timed_change stop db
expect_cut "stop db" "$T0" tcp4 tcp6 udp4 udp6 app4
cut_log
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 "${DB_PORTS[@]}"

# ---- rm ---------------------------------------------------------------------

# The receiver by iccctl rm; a source by the CNI plugin's DEL, which is
# an `rm` of the container whose id it names (run here as a runtime
# would, the plugin alone, config on stdin).
log "== rm db (the receiver)"
start_web_streams
timed_change rm db
expect_cut "rm db" "$T0" tcp4 tcp6 udp4 udp6 app4
cut_log
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 "${DB_PORTS[@]}"

log "== CNI DEL of web (a source)"
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --id "web-$ICC_RUN" \
	--link db:aliasdb
start_web_streams
out=$(printf '{"cniVersion":"1.0.0","name":"t20","type":"icc","socket":"%s"}' \
	"$ICC_SOCK" | ip netns exec "$HOST" env CNI_COMMAND=DEL \
	CNI_CONTAINERID="web-$ICC_RUN" CNI_NETNS="/run/netns/$(ns_of web)" \
	CNI_IFNAME=eth0 CNI_ARGS="IgnoreUnknown=1;ICC_NAME=web" \
	timeout 30 "$ICC_BUILDDIR/src/cni/icc" 2>&1)
rc=$?
T0=$(now_ms)
if [ "$rc" -eq 0 ]; then
	pass "CNI DEL web: succeeded"
else
	fail "CNI DEL web: exit $rc: $out"
fi
expect_list_none "CNI DEL web" "^container web "
expect_cut "CNI DEL web" "$T0" tcp4 tcp6 udp4 udp6
expect_still "CNI DEL web (app keeps its link)" "$T0" app4
cut_log
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb

# ---- IP change ------------------------------------------------------------

# db keeps its old addresses on its interface, as a container that took
# them over would answer on them: only conntrack could keep flows to them
# alive.  db's UDP server answers from the address the kernel picks, so
# the old ones must stay preferred: the old IPv4 one is primary, the new
# IPv6 one deprecated until the old ones go (the new IPv4 one promoted).
log "== db's IP change (old addresses still answer)"
start_web_streams
in_ctr db sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1 ||
	fatal "cannot set promote_secondaries in db"
in_ctr db ip addr add 10.88.0.12/24 dev eth0 || fatal "cannot add 10.88.0.12 to db"
in_ctr db ip -6 addr add fd88::12/64 dev eth0 nodad preferred_lft 0 ||
	fatal "cannot add fd88::12 to db"
ICC_OWNER[10.88.0.12]=db
ICC_OWNER[fd88::12]=db
timed_change start db --bridge br0 --ip 10.88.0.12 --ip6 fd88::12 "${DB_PORTS[@]}"
expect_cut "IP change" "$T0" tcp4 tcp6 udp4 udp6 app4
cut_log
expect_tcp_ok web 10.88.0.12 3306
expect_tcp_fail web 10.88.0.2 3306
for addr in 10.88.0.2 fd88::2; do
	prove_server "after the IP change" tcp "$addr" 3306
	prove_server "after the IP change" udp "$addr" 5353
done
in_ctr db ip addr del 10.88.0.2/24 dev eth0 || fatal "cannot remove 10.88.0.2 from db"
in_ctr db ip -6 addr del fd88::2/64 dev eth0 || fatal "cannot remove fd88::2 from db"
in_ctr db ip -6 addr change fd88::12/64 dev eth0 preferred_lft forever ||
	fatal "cannot make fd88::12 preferred"
unset "ICC_OWNER[10.88.0.2]" "ICC_OWNER[fd88::2]"
flush_neigh
expect_udp_ok web 10.88.0.12 5353
expect_udp_ok web fd88::12 5353

# ---- a range shrinks in the middle --------------------------------------

# 7000-7999 becomes 7000-7599 + 7800-8999: 7600-7799 is taken away, the
# rest stays allowed (one element deleted, two added).
log "== db's range 7000-7999 loses 7600-7799"
stream_start r7500 web tcp 10.88.0.12 7500
stream_start r7700 web tcp 10.88.0.12 7700
stream_start r7900 web tcp 10.88.0.12 7900
streams_flowing r7500 r7700 r7900
timed_change start db --bridge br0 --ip 10.88.0.12 --ip6 fd88::12 \
	--expose 3306/tcp --expose 5353/udp --expose 7000-7599/tcp --expose 7800-8999/tcp
expect_cut "range shrinks" "$T0" r7700
expect_still "range shrinks (port still exposed)" "$T0" r7500 r7900
cut_log

# ---- hairpin NAT ------------------------------------------------------------

# Port 8306 of the host's bridge address leads to db:3306 (DNAT, as a
# published port without userland proxy).  Forward sees web -> db:3306,
# which the link allows; conntrack's original tuple says web ->
# 10.88.0.1:8306, and only its reply tuple names db.
log "== hairpin NAT: web reaches db through a port of the host's address"
in_host sysctl -qw net.ipv4.ip_forward=1 || fatal "cannot enable forwarding in the host namespace"
in_host nft -f - <<'EOF' || fatal "cannot load the NAT table"
table ip t20nat {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr 10.88.0.1 tcp dport 8306 dnat to 10.88.0.12:3306
	}
}
EOF
# Hairpin traffic goes in and out on br0, so the closed bridge's rules
# judge it, on the address after DNAT: the link lets web through, other
# (no link) is dropped.
if out=$(probe web tcp 10.88.0.1 8306); then
	pass "hairpin NAT: web (linked) reaches db through the host's port 8306: $out"
else
	fail "hairpin NAT: web (linked) does not reach db through the host's port 8306: $out"
fi
out=$(probe other tcp 10.88.0.1 8306 --timeout "$ICC_FAIL_TIMEOUT")
if [[ $out == *": connect timed out after "* ]]; then
	pass "hairpin NAT: other (no link) is dropped on its way to db through port 8306: $out"
else
	fail "hairpin NAT: other (no link) through the host's port 8306: expected a drop; got: $out"
fi
prove_server "after the hairpin checks" tcp 10.88.0.12 3306
stream_start nat4 web tcp 10.88.0.1 8306
streams_flowing nat4
timed_change unlink web aliasdb
expect_cut "hairpin NAT, unlink" "$T0" nat4
cut_log
must link web db:aliasdb
in_host nft delete table ip t20nat || fatal "cannot delete the NAT table"

# ---- a bridge closes ------------------------------------------------------

log "== bridge br0 icc on, then off"
must bridge br0 --icc on
stream_start open4 other tcp 10.88.0.12 3306
stream_start open6 other udp fd88::12 5353
stream_start linked web tcp 10.88.0.12 3306
streams_flowing open4 open6 linked
timed_change bridge br0 --icc off
expect_cut "bridge closed" "$T0" open4 open6
expect_still "bridge closed (web's link)" "$T0" linked
cut_log
expect_tcp_fail other 10.88.0.12 3306

# ---- the window of a foreign flush ------------------------------------------

# other floods db (no link) from one source port, one datagram a
# millisecond.  A foreign `nft flush ruleset` opens the bridge until
# iccd's repair; a datagram that crosses meanwhile makes a conntrack
# entry, db's echo makes it established, and without the cut the flood
# would flow on after the repair.  iccd repairs within a millisecond or
# so, too short a window to hit on purpose: it is held (SIGSTOP) while
# the ruleset is flushed, until the flood flows; SIGCONT then lets it see
# the flush and repair.
log "== window: nft flush ruleset while other floods db"
start_server db udp 5353
stream_start flood other udp 10.88.0.12 5353 --interval 1 --keep-going \
	--sport "$FLOOD_SPORT"
sleep 0.3
if grep -q ': flowing' "$ICC_TMP/stream-flood.log"; then
	fail "window: the flood gets through before any flush; the check is void"
else
	pass "control: the flood does not get through the closed bridge"
fi
r=$(status_field repairs)
kill -STOP "$ICC_ICCD_PID" || fatal "cannot hold iccd (SIGSTOP)"
in_host nft flush ruleset || fatal "nft flush ruleset failed"
for i in $(seq 1 $((250 * ICC_SLOW))); do
	grep -q ': flowing' "$ICC_TMP/stream-flood.log" && break
	sleep 0.02
done
kill -CONT "$ICC_ICCD_PID" || fatal "cannot let iccd go on (SIGCONT)"
if grep -q ': flowing' "$ICC_TMP/stream-flood.log"; then
	pass "control: the flood flows while iccd is held and the ruleset flushed"
else
	fail "window: the flood never got through the flushed ruleset; the check is void"
fi
for i in $(seq 1 $((100 * ICC_SLOW))); do
	[ "$(status_field repairs)" -gt "$r" ] 2>/dev/null && break
	sleep 0.05
done
if [ "$(status_field repairs)" -gt "$r" ] 2>/dev/null; then
	pass "window: iccd repaired the flushed table (repairs $r -> $(status_field repairs))"
else
	fail "window: no repair after the flush"
fi
t0=$(now_ms)
[ "$(status_field matches)" = true ] || fail "window: the table does not match after the repair"
# The repair's cut ran before iccd answered status: the flood must now
# stop (a stopped line after the last flowing one) and stay stopped.
for i in $(seq 1 $((CUT_WITHIN / 20))); do
	[ "$(grep -E ': (flowing|stopped)' "$ICC_TMP/stream-flood.log" | tail -n 1 |
		grep -c ': stopped')" -eq 1 ] && break
	sleep 0.02
done
stopped=$(grep ': stopped' "$ICC_TMP/stream-flood.log" | tail -n 1)
echoes=$(printf '%s\n' "$stopped" | sed -n 's/.* echoes=\([0-9]*\).*/\1/p')
ms_sleep $((STREAM_TIMEOUT + 200))
stream_stop flood
final=$(tail -n 1 "$ICC_TMP/stream-flood.log")
last=$(field "$ICC_TMP/stream-flood.log" last_echo_ms)
log "window: last echo $((last - t0)) ms after the repair was seen"
if [ -z "$echoes" ]; then
	fail "window: the flood did not stop after the repair:"
	tail -n 3 "$ICC_TMP/stream-flood.log" | sed 's/^/  | /'
elif printf '%s\n' "$final" | grep -q "stopped when told to stop.* echoes=$echoes\$"; then
	pass "window: the flood stopped after the repair and got no echo since ($echoes in all)"
else
	fail "window: the flood got echoes after it stopped ($echoes then):"
	tail -n 3 "$ICC_TMP/stream-flood.log" | sed 's/^/  | /'
fi
expect_udp_fail other 10.88.0.12 5353 --sport "$FLOOD_SPORT"
expect_tcp_ok web 10.88.0.12 3306
cut_log

finish
