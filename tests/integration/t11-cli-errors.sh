#!/bin/bash
# t11-cli-errors: bad input to iccctl gets exactly one line on stderr that
# names the bad field, a non-zero exit, and changes nothing: the kernel's
# table and `iccctl list --json` are the same before and after.  An iccd
# that does not answer (a socket that accepts and stays mute, a stopped
# iccd) makes `iccctl --timeout 1` exit 1 with one line.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container db 10.88.0.2
add_container web 10.88.0.3
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --link db:aliasdb

NAME64=$(printf 'n%.0s' $(seq 1 64))

# snapshot: everything bad input must leave alone (counters aside: they
# count packets, not state).
snapshot() {
	nft_table 2>&1 | zero_counters
	echo "----"
	iccctl list --json 2>&1
}

# expect_refused FIELD ARGS...: iccctl ARGS fails with one stderr line
# naming FIELD (a whole word, any case) and the state is unchanged.
expect_refused() {
	local field=$1 before after err rc nlines
	shift
	before=$(snapshot)
	err=$(iccctl "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snapshot)
	log "iccctl $*  => exit $rc, stderr: $err"
	nlines=$(printf '%s' "$err" | grep -c '')
	if [ "$rc" -eq 0 ]; then
		fail "iccctl $*: expected a non-zero exit, got 0"
	elif [ "$nlines" -ne 1 ]; then
		fail "iccctl $*: expected one line on stderr, got $nlines"
	elif ! printf '%s\n' "$err" | grep -qiwE -- "-*($field)"; then
		fail "iccctl $*: the message does not name '$field'"
	else
		pass "iccctl $*: refused, names '$field'"
	fi
	if [ "$before" != "$after" ]; then
		fail "iccctl $*: the state changed:"
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/  /'
	fi
}

expect_refused ip start db --bridge br0 --ip 10.88.0.300 --expose 3306/tcp
expect_refused ip start x --bridge br0 --ip not-an-address
expect_refused ip6 start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::zz --expose 3306/tcp
expect_refused expose start db --bridge br0 --ip 10.88.0.2 --expose 0/tcp
expect_refused expose start db --bridge br0 --ip 10.88.0.2 --expose 65536
expect_refused expose start db --bridge br0 --ip 10.88.0.2 --expose 8000-7000/tcp
expect_refused expose start db --bridge br0 --ip 10.88.0.2 --expose 80/icmp
expect_refused name start "" --bridge br0 --ip 10.88.0.9
expect_refused name start "$NAME64" --bridge br0 --ip 10.88.0.9
expect_refused icc bridge br0 --icc maybe
expect_refused 'command|frobnicate' frobnicate db
expect_refused ip start x --bridge br0
expect_refused ip start db --bridge br0 --expose 3306/tcp

# ---- an iccd that does not answer: iccctl --timeout ------------------------
# One line naming the step that got no answer, exit 1, no hang.  `timeout
# 20` around iccctl: a client that waited for ever fails here (exit 124).

# expect_timeout WHAT SOCKET ARGS...: iccctl --socket SOCKET ARGS exits 1
# with exactly the one timeout line of a 1 s --timeout.
expect_timeout() {
	local what=$1 sock=$2 err rc want
	shift 2
	want="iccctl: iccd at $sock: reply: no answer within 1 s (--timeout)"
	err=$(timeout 20 "$ICCCTL_BIN" --socket "$sock" "$@" 2>&1 >/dev/null)
	rc=$?
	log "iccctl --socket $sock $*  => exit $rc, stderr: $err"
	if [ "$rc" -eq 1 ] && [ "$err" = "$want" ]; then
		pass "$what: iccctl $*: exit 1, one line: $err"
	else
		fail "$what: iccctl $*: expected exit 1 and '$want', got exit $rc: $err"
	fi
}

ICC_MUTE=$ICC_BUILDDIR/tests/integration/icc-mute
[ -x "$ICC_MUTE" ] || fatal "$ICC_MUTE is missing: build with make check"
MUTE_SOCK=$ICC_TMP/mute.sock
"$ICC_MUTE" "$MUTE_SOCK" >"$ICC_TMP/mute.log" 2>&1 &
ICC_PIDS+=("$!")
for _ in $(seq 1 100); do
	grep -qx ready "$ICC_TMP/mute.log" && break
	sleep 0.1
done
grep -qx ready "$ICC_TMP/mute.log" ||
	fatal "icc-mute did not start: $(cat "$ICC_TMP/mute.log")"
expect_timeout "a socket that accepts and never answers" "$MUTE_SOCK" \
	--timeout 1 list
for _ in $(seq 1 100); do
	grep -qx 'accepted 1' "$ICC_TMP/mute.log" && break
	sleep 0.1
done
if grep -qx 'accepted 1' "$ICC_TMP/mute.log"; then
	pass "icc-mute accepted iccctl's connection (the wait was for the reply)"
else
	fail "icc-mute did not accept iccctl's connection: $(cat "$ICC_TMP/mute.log")"
fi

# The real iccd, stopped: the same line; continued, it answers again.
kill -STOP "$ICC_ICCD_PID"
expect_timeout "iccd stopped (SIGSTOP)" "$ICC_SOCK" --timeout 1 status
kill -CONT "$ICC_ICCD_PID"
if out=$(iccctl --timeout 0 status 2>&1); then
	pass "iccd continued: iccctl --timeout 0 status answers"
else
	fail "iccd continued: iccctl --timeout 0 status: $out"
fi

# expect_line WANT ARGS...: iccctl ARGS fails with exactly the stderr
# line WANT and the state is unchanged.
expect_line() {
	local want=$1 before after err rc
	shift
	before=$(snapshot)
	err=$(iccctl "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snapshot)
	if [ "$rc" -ne 0 ] && [ "$err" = "$want" ]; then
		pass "iccctl $*: refused: $err"
	else
		fail "iccctl $*: expected a non-zero exit and '$want'; got exit $rc: $err"
	fi
	if [ "$before" != "$after" ]; then
		fail "iccctl $*: the state changed:"
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/  /'
	fi
}

# IPv6 addresses that are IPv4 ones in disguise can never match a packet.
expect_line "iccctl: ip6: IPv4-mapped address" \
	start db --bridge br0 --ip 10.88.0.2 --ip6 ::ffff:10.88.0.2 --expose 3306/tcp
expect_line "iccctl: ip6: IPv4-compatible address" \
	start db --bridge br0 --ip 10.88.0.2 --ip6 ::10.88.0.2 --expose 3306/tcp

# A bad option is named as given, even a cluster such as -bad.
expect_line 'iccctl: start: unknown option or missing value "-bad" (see iccctl --help)' \
	start -bad db --bridge br0 --ip 10.88.0.9
expect_line 'iccctl: start: unknown option or missing value "-x" (see iccctl --help)' \
	start db --bridge br0 --ip 10.88.0.9 -x
expect_line 'iccctl: list: unknown option or missing value "-bad" (see iccctl --help)' \
	list --json -bad
expect_line 'iccctl: start: unknown option or missing value "--bogus" (see iccctl --help)' \
	start db --bogus
# A single-value option given twice is refused, not the last one taken.
for opt in "ip 10.88.0.9" "bridge br0" "ip6 fd88::9" "id abc" "hostname h" \
	"port veth9" "mac 02:00:00:00:00:09"; do
	# shellcheck disable=SC2086 # the option's name and value
	expect_line "iccctl: ${opt%% *}: given twice" \
		start x --bridge br0 --ip 10.88.0.9 --${opt% *} ${opt#* } --${opt% *} ${opt#* }
done
expect_line "iccctl: icc: given twice" bridge br0 --icc on --icc off
expect_line "iccctl: link: given twice" env web --link aliasdb --link aliasdb
expect_line "iccctl: write: given twice" hosts web --write /nonexistent/a --write /nonexistent/b
# An unknown command is a usage error, as no command: exit 2.
err=$(iccctl frobnicate db 2>&1 >/dev/null)
rc=$?
if [ "$rc" -eq 2 ] && [ "$err" = 'iccctl: unknown command "frobnicate" (see iccctl --help)' ]; then
	pass "an unknown command: exit 2: $err"
else
	fail "an unknown command: expected exit 2 and one line; got exit $rc: $err"
fi

# A name that runs under another id is not taken over; the refusal is
# logged.  Stopped, the name may go to the newcomer.
must start mine --bridge br0 --ip 10.88.0.7 --id aaa111 --expose 80/tcp
n0=$(grep -c 'start of mine refused: mine: runs as id aaa111' "$ICC_ICCD_LOG")
expect_line "iccctl: mine: runs as id aaa111 (stop it first)" \
	start mine --bridge br0 --ip 10.88.0.8 --id bbb222
n1=$(grep -c 'start of mine refused: mine: runs as id aaa111' "$ICC_ICCD_LOG")
if [ "$n1" -eq $((n0 + 1)) ]; then
	pass "the refused takeover of mine is logged"
else
	fail "the refused takeover of mine: $((n1 - n0)) log lines (expected 1)"
fi
expect_list "mine keeps its address: not taken over" \
	"container mine running bridge br0 ip 10.88.0.7 expose 80/tcp"
# A start without an id would clear aaa111 and free the name: refused.
expect_line "iccctl: mine: runs as id aaa111 (stop it first)" \
	start mine --bridge br0 --ip 10.88.0.7 --expose 80/tcp
must start mine --bridge br0 --ip 10.88.0.7 --id aaa111 --expose 80/tcp
must stop mine
must start mine --bridge br0 --ip 10.88.0.8 --id bbb222
expect_list "a stopped mine went to the newcomer (its address)" \
	"container mine running bridge br0 ip 10.88.0.8"
must rm mine

# A start that takes an address over says so on stderr, and succeeds.
must start old1 --bridge br0 --ip 10.88.0.9 --ip6 fd88::9
err=$(iccctl start new1 --bridge br0 --ip 10.88.0.9 --ip6 fd88::9 2>&1 >/dev/null)
rc=$?
same "a takeover: exit 0, one line naming the old holder" \
	"0 iccctl: took 10.88.0.9 over from old1, now stopped; took fd88::9 over from old1, now stopped" "$rc $err"
expect_list "the takeover stopped old1" \
	"container new1 running bridge br0 ip 10.88.0.9 ip6 fd88::9" \
	"container old1 stopped bridge br0 ip 10.88.0.9 ip6 fd88::9"
must rm new1
must rm old1

# The link still works: nothing above touched it.
expect_tcp_ok web 10.88.0.2 3306

finish
