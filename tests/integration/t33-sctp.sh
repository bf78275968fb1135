#!/bin/bash
# t33-sctp: links open exposed SCTP ports, and only those.  This kernel
# may have no SCTP sockets (CONFIG_IP_SCTP unset), so the test works at
# the packet level with icc-sctp: web (the link's receiver) sends a raw
# INIT with a valid CRC32c, a raw responder in db (the source) answers
# every INIT it sees with an INIT-ACK and logs it.  Conntrack tracks SCTP
# (checksum, tags), so the INIT-ACK comes back as an established reply.
#   linked and exposed (a port, a range; IPv4 and IPv6): INIT-ACK back;
#   an unexposed port, an unlinked container, an exposed port of the
#   wrong protocol: no INIT-ACK, and the responder never saw the INIT;
#   the host namespace (never filtered) reaches every port: the
#   responder answers there, so a missing answer means blocked.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ICC_SCTP=$ICC_BUILDDIR/tests/integration/icc-sctp
[ -x "$ICC_SCTP" ] || fatal "$ICC_SCTP is missing: build with make check"
RESPONDER_LOG=$ICC_TMP/responder.log

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container other 10.88.0.4 fd88::4
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3868/sctp \
	--expose 7000-7010/sctp --expose 5000/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4 --ip6 fd88::4
expect_elems "SCTP elements" <<'END'
links4 10.88.0.3 . 10.88.0.2 . sctp . 3868
links4 10.88.0.3 . 10.88.0.2 . tcp . 5000
links6 fd88::3 . fd88::2 . sctp . 3868
links6 fd88::3 . fd88::2 . tcp . 5000
ranges4 10.88.0.3 . 10.88.0.2 . sctp . 7000-7010
ranges6 fd88::3 . fd88::2 . sctp . 7000-7010
END

ip netns exec "$(ns_of db)" "$ICC_SCTP" responder >"$RESPONDER_LOG" 2>&1 &
ICC_PIDS+=("$!")
for _ in $(seq 1 $((100 * ICC_SLOW))); do
	grep -q '^responder: listening' "$RESPONDER_LOG" && break
	sleep 0.05
done
grep -q '^responder: listening' "$RESPONDER_LOG" ||
	fatal "the SCTP responder in db did not start: $(cat "$RESPONDER_LOG")"

# seen FROM PORT AFTER: the responder logged an INIT from address FROM to
# PORT after line AFTER of its log.
seen() {
	tail -n +"$(($3 + 1))" "$RESPONDER_LOG" |
		grep -q "^init from $1 port [0-9]* to port $2\$"
}

# sctp_control WHEN ADDR PORT: the host namespace's INIT is answered.
sctp_control() {
	local out
	if out=$(in_host "$ICC_SCTP" init "$2" "$3" 2>&1); then
		return 0
	fi
	fail "control $1: sctp $2:$3 does not answer the host namespace ($out); the check is void"
	return 1
}

# expect_sctp ok|fail FROM ADDR PORT
expect_sctp() {
	local want=$1 from=$2 addr=$3 port=$4 src out rc what mark
	what="sctp $from -> $addr:$port"
	src=${ICC_IP4[$from]}
	[[ $addr != *:* ]] || src=${ICC_IP6[$from]}
	[ "$want" = ok ] || sctp_control before "$addr" "$port" || return 1
	mark=$(wc -l <"$RESPONDER_LOG")
	out=$(in_ctr "$from" "$ICC_SCTP" init "$addr" "$port" --timeout "$ICC_FAIL_TIMEOUT" 2>&1)
	rc=$?
	if [ "$want" = ok ]; then
		if [ "$rc" -eq 0 ] && seen "$src" "$port" "$mark"; then
			pass "$what: expected an INIT-ACK: $out"
		else
			fail "$what: expected an INIT-ACK; got: $out (exit $rc)"
		fi
		return
	fi
	sctp_control after "$addr" "$port" || return 1
	if [ "$rc" -ne 1 ]; then
		fail "$what: expected no INIT-ACK; got: $out (exit $rc)"
	elif seen "$src" "$port" "$mark"; then
		fail "$what: no INIT-ACK, but db's responder saw the INIT: it crossed the bridge"
	else
		pass "$what: expected to be blocked: $out; the responder never saw it"
	fi
}

expect_sctp ok web 10.88.0.2 3868
expect_sctp ok web fd88::2 3868
expect_sctp ok web 10.88.0.2 7000
expect_sctp ok web fd88::2 7010
expect_sctp fail web 10.88.0.2 3869
expect_sctp fail web fd88::2 7011
expect_sctp fail web 10.88.0.2 5000
expect_sctp fail other 10.88.0.2 3868
expect_sctp fail other fd88::2 7005

# Unlinked: the same ports close again.
must unlink web aliasdb
expect_sctp fail web 10.88.0.2 7001
expect_sctp fail web fd88::2 3868

finish
