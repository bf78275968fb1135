#!/bin/bash
# t29-check: `iccctl check FROM TO PORT[/PROTO]` agrees with real traffic
# for every reason it gives: allowed by a link's element (hash and
# interval set, IPv4 and IPv6, by name and by address), the port not
# exposed, no link, a link pending (source stopped), a stopped container
# without a link, bridges that differ, a bridge with icc on; and it says
# so in one line, exit 0 / 1, with --json for scripts; a question without
# an answer is exit 2.  Each check is followed by the traffic it predicts.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || fatal "jq is needed"

# expect_check WANT_EXIT FROM TO PORT LINE: iccctl check's exit status
# and its whole output (one line; two with a disagreement, which fails).
expect_check() {
	local want=$1 from=$2 to=$3 port=$4 line=$5 out rc
	out=$(iccctl check "$from" "$to" "$port" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && [ "$out" = "$line" ]; then
		pass "check $from $to $port: exit $rc: $out"
		return 0
	fi
	fail "check $from $to $port: expected exit $want and '$line'; got exit $rc: '$out'"
	return 1
}

# Routed traffic between the bridges would need the host to forward: it
# does not, so iccd's "not across bridges" is what the traffic meets.
in_host sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 ||
	fatal "cannot turn forwarding off in the host namespace"
add_bridge br1 10.89.0.1/24
add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container cache 10.88.0.4
add_container old 10.88.0.5
add_container_on br1 a 10.89.0.2
add_container_on br1 b 10.89.0.3
for c in web a; do
	in_ctr "$c" ip route add default via "$([ "$c" = web ] && echo 10.88.0.1 || echo 10.89.0.1)" ||
		fatal "no default route in $c"
done
# The disagreement case at the end swaps in a table owned by another
# process, which an owned table of iccd's would not allow.
ICC_ICCD_ARGS=(--no-own-table)
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp --expose 7000-7999/tcp
must start old --bridge br0 --ip 10.88.0.5 --expose 80/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb --link old:o
must start cache --bridge br0 --ip 10.88.0.4
must bridge br1 --icc on
must start a --bridge br1 --ip 10.89.0.2 --expose 80/tcp
must start b --bridge br1 --ip 10.89.0.3

log "== allowed by a link"
expect_check 0 web db 3306 "allowed: allowed by link web -> db alias aliasdb: element links4 10.88.0.3 . 10.88.0.2 . tcp . 3306"
expect_tcp_ok web 10.88.0.2 3306
expect_check 0 web db 7500/tcp "allowed: allowed by link web -> db alias aliasdb: element ranges4 10.88.0.3 . 10.88.0.2 . tcp . 7000-7999"
expect_tcp_ok web 10.88.0.2 7500
expect_check 0 fd88::3 fd88::2 7999 "allowed: allowed by link web -> db alias aliasdb: element ranges6 fd88::3 . fd88::2 . tcp . 7000-7999"
expect_tcp_ok web fd88::2 7999
expect_check 0 web 10.88.0.5 80 "allowed: allowed by link web -> old alias o: element links4 10.88.0.3 . 10.88.0.5 . tcp . 80"
expect_tcp_ok web 10.88.0.5 80

log "== port not exposed"
expect_check 1 web db 80 "blocked: link web -> db alias aliasdb is active, but db does not expose 80/tcp (it exposes 3306/tcp, 7000-7999/tcp)"
expect_tcp_fail web 10.88.0.2 80
expect_check 1 web db 3306/udp "blocked: link web -> db alias aliasdb is active, but db does not expose 3306/udp (it exposes 3306/tcp, 7000-7999/tcp)"
expect_udp_fail web 10.88.0.2 3306

log "== no link"
expect_check 1 cache db 3306 "blocked: no link from cache to db on closed bridge br0"
expect_tcp_fail cache 10.88.0.2 3306
expect_check 1 db web 80 "blocked: no link from db to web on closed bridge br0 (web links to db: only web may open connections)"
expect_tcp_fail db 10.88.0.3 80

log "== bridges differ"
expect_check 1 web a 80 "blocked: web is on br0, a on br1: iccd rules only between containers of one bridge and links none across bridges"
expect_tcp_fail web 10.89.0.2 80

log "== icc on"
expect_check 0 b a 80 "allowed: bridge br1 has icc on: everything between its containers passes"
expect_tcp_ok b 10.89.0.2 80
expect_check 0 a b 5353/udp "allowed: bridge br1 has icc on: everything between its containers passes"
expect_udp_ok a 10.89.0.3 5353

log "== pending: the source stopped (its network stays: the model decides)"
must stop old
expect_check 1 web old 80 "blocked: link web -> old alias o is pending: source old is stopped"
expect_tcp_fail web 10.88.0.5 80
expect_check 1 cache old 80 "blocked: old is stopped (and there is no link from cache to old)"
expect_tcp_fail cache 10.88.0.5 80

log "== unbound: no IPv6 address"
expect_check 1 fd88::3 cache 80 "blocked: cache has no IPv6 address"

log "== --json"
if out=$(iccctl check web db 3306 --json) &&
	[ "$(jq -r '"\(.allowed) \(.reason) \(.alias) \(.agree) \(.kernel.closed) \(.kernel.element)"' <<<"$out")" = \
	"true link aliasdb true true links4 10.88.0.3 . 10.88.0.2 . tcp . 3306" ]; then
	pass "check --json: allowed, reason, alias, kernel's element"
else
	fail "check --json: unexpected: $out"
fi
out=$(iccctl check cache db 3306 --json)
rc=$?
if [ "$rc" -eq 1 ] && [ "$(jq -r '"\(.allowed) \(.reason) \(.agree) \(.kernel.element)"' <<<"$out")" = "false no_link true " ]; then
	pass "check --json, blocked: exit 1, reason no_link, kernel has no element"
else
	fail "check --json, blocked: exit $rc: $out"
fi

log "== no answer: exit 2, one line"
out=$(iccctl check web nobody 80 2>&1)
rc=$?
if [ "$rc" -eq 2 ] && [ "$out" = "iccctl: to: no container is called nobody" ]; then
	pass "check of an unknown container: exit 2: $out"
else
	fail "check of an unknown container: expected exit 2 and one line; got exit $rc: $out"
fi
out=$(iccctl check web db 70-80 2>&1)
rc=$?
if [ "$rc" -eq 2 ] && [ "$out" = "iccctl: port: one port, not a range" ]; then
	pass "check of a port range: exit 2: $out"
else
	fail "check of a port range: expected exit 2 and one line; got exit $rc: $out"
fi

log "== disagreement: the kernel lacks the element the model has"
# As in t19: the table is swapped, in one transaction, for a copy without
# web -> db 3306 (deleted in the same file) owned by another process (nft -i keeps its socket open),
# so iccd cannot repair it; the owner's exit lets iccd rebuild it.
must start old --bridge br0 --ip 10.88.0.5 --expose 80/tcp
OWN_FIFO=$ICC_TMP/owner.fifo
mkfifo "$OWN_FIFO" || fatal "mkfifo failed"
ip netns exec "$HOST" nft -i <"$OWN_FIFO" >"$ICC_TMP/owner.log" 2>&1 &
OWNER_PID=$!
ICC_PIDS+=("$OWNER_PID")
exec {OWN_FD}>"$OWN_FIFO"
{
	echo "delete table inet icc"
	nft_table_readable | sed '1a\	flags owner'
	echo "delete element inet icc links4 { 10.88.0.3 . 10.88.0.2 . tcp . 3306 }"
} >"$ICC_TMP/owned.nft" || fatal "cannot dump the table"
echo "include \"$ICC_TMP/owned.nft\"" >&"$OWN_FD"
for _ in $(seq 1 $((100 * ICC_SLOW))); do
	grep -q "repair of table inet icc .* failed" "$ICC_ICCD_LOG" && break
	sleep 0.05
done
grep -q "repair of table inet icc .* failed" "$ICC_ICCD_LOG" ||
	fatal "the owned copy did not take the table's place: $(cat "$ICC_TMP/owner.log")"
expect_check 1 web db 3306 "blocked by the kernel, against the model: allowed by link web -> db alias aliasdb: element links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
disagreement: the model allows it by element links4 10.88.0.3 . 10.88.0.2 . tcp . 3306, the kernel has no such element"
expect_tcp_fail web 10.88.0.2 3306
out=$(iccctl check web db 3306 --json)
same "check --json, disagreement: agree, model_allowed, allowed" "false true false" \
	"$(jq -r '"\(.agree) \(.model_allowed) \(.allowed)"' <<<"$out")"
exec {OWN_FD}>&-
wait "$OWNER_PID"
for _ in $(seq 1 $((100 * ICC_SLOW))); do
	iccctl check web db 3306 >/dev/null 2>&1 && break
	sleep 0.05
done
expect_check 0 web db 3306 "allowed: allowed by link web -> db alias aliasdb: element links4 10.88.0.3 . 10.88.0.2 . tcp . 3306"
expect_tcp_ok web 10.88.0.2 3306

finish
