#!/bin/bash
# t32-daemon-options: how iccd starts.
#   - bridge-nf-call-ip(6)tables: this test's host namespace starts with
#     both 0 (ICC_BRIDGE_NF=0); iccd sets them itself, so that bridged
#     traffic reaches its table; when /proc/sys is read-only it exits 1
#     with one line naming the sysctl, and creates no table.
#   - a second iccd on the same state directory, or on the same table of
#     the same network namespace, exits 1 on the lock with one line, and
#     the first goes on unharmed.  One that fails on the control socket
#     creates no table and leaves no lock file.
#   - --table NAME: the table is inet NAME, laid out as rules/icc.nft,
#     and no inet icc appears; a name nft cannot write unquoted is
#     refused with one line.
#   - --icc on: a bridge iccd learns of is open (no closed element, any
#     traffic between its containers), until `bridge --icc off`.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ICC_BRIDGE_NF=0
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SYSCTLS=(net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)

# sysctls: both values as "A B".
sysctls() { in_host sysctl -n "${SYSCTLS[@]}" | tr '\n' ' ' | sed 's/ $//'; }

# tables: the host namespace's tables, one "FAMILY NAME" a line.
tables() { in_host nft list tables | sed 's/^table //' | LC_ALL=C sort; }

# run_iccd OUTVAR ARGS...: a second iccd in the foreground, expected to
# exit at once; its status in RC, its output in OUTVAR.
RC=0
run_iccd() {
	local -n out=$1
	shift
	out=$(ip netns exec "$HOST" timeout 20 "$ICCD_BIN" --foreground "$@" 2>&1)
	RC=$?
}

# expect_exit WHAT OUT LINE: exit 1 with exactly LINE as output.
expect_exit() {
	if [ "$RC" -eq 1 ] && [ "$2" = "$3" ]; then
		pass "$1: exit 1: $2"
	else
		fail "$1: expected exit 1 and '$3'; got exit $RC: $2"
	fi
}

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container other 10.88.0.4 fd88::4
same "control: the host namespace starts with bridge netfilter off" "0 0" "$(sysctls)"

# ---- /proc/sys read-only: a clean failure -----------------------------------

# A private mount namespace whose /proc/sys is a read-only bind of itself.
out=$(ip netns exec "$HOST" unshare -m sh -c '
	mount --bind /proc/sys /proc/sys &&
	mount -o remount,bind,ro /proc/sys /proc/sys || exit 99
	exec timeout 20 "$@"' sh "$ICCD_BIN" --foreground --socket "$ICC_TMP/ro.sock" \
	--state-dir "$ICC_TMP/ro-state" 2>&1)
RC=$?
[ "$RC" -ne 99 ] || fatal "cannot make /proc/sys read-only in a private mount namespace: $out"
expect_exit "read-only /proc/sys" "$out" \
	"iccd: cannot set net.bridge.bridge-nf-call-iptables = 1: Read-only file system"
same "read-only /proc/sys: the sysctls are untouched" "0 0" "$(sysctls)"
same "read-only /proc/sys: no table was created" "" "$(tables)"
if [ -e "$ICC_TMP/ro.sock" ]; then
	fail "read-only /proc/sys: the refused iccd left its socket"
else
	pass "read-only /proc/sys: no socket left"
fi

# ---- --table: a name nft can write -------------------------------------------

for name in 'a b' '1abc' '' 'a-b' "$(printf 'a%.0s' {1..64})"; do
	run_iccd out --socket "$ICC_TMP/bad.sock" --state-dir "$ICC_TMP/bad-state" --table "$name"
	expect_exit "--table '$name'" "$out" \
		"iccd: --table: expected a letter, then letters, digits or _ (63 at most)"
done
same "bad --table names: no table was created" "" "$(tables)"

# ---- iccd sets them itself ------------------------------------------------------

start_iccd
same "iccd set bridge-nf-call-ip(6)tables" "1 1" "$(sysctls)"
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4 --ip6 fd88::4
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_ok web fd88::2 3306
expect_tcp_fail other 10.88.0.2 3306
expect_tcp_fail other fd88::2 3306

# ---- a second iccd --------------------------------------------------------------

before=$(kernel_elems)
run_iccd out --socket "$ICC_TMP/second.sock" --state-dir "$ICC_STATE"
expect_exit "second iccd, same --state-dir" "$out" \
	"iccd: --state-dir: $ICC_STATE/lock is in use by another iccd"
ino=$(ip netns exec "$HOST" stat -L -c %i /proc/self/ns/net) || fatal "cannot stat the namespace"
run_iccd out --socket "$ICC_TMP/second.sock" --state-dir "$ICC_TMP/second-state"
expect_exit "second iccd, same table and namespace" "$out" \
	"iccd: --table: /run/iccd/inet-icc-netns$ino.lock is in use by another iccd"
if [ -e "$ICC_TMP/second.sock" ]; then
	fail "the second iccd left its socket behind"
else
	pass "the second iccd made no socket"
fi
# A start that fails on the socket (the first one's, live) creates
# nothing in the kernel and leaves no lock file.
tables_before=$(tables)
run_iccd out --socket "$ICC_SOCK" --state-dir "$ICC_TMP/third-state" --table icc2
expect_exit "third iccd, on the first one's live socket" "$out" \
	"iccd: --socket: $ICC_SOCK: Address already in use"
same "the failed start created no table" "$tables_before" "$(tables)"
left=$(ls "$ICC_TMP/third-state/lock" "/run/iccd/inet-icc2-netns$ino.lock" 2>/dev/null)
same "the failed start left no lock file" "" "$left"
same "after the second iccd: the first one's elements are untouched" "$before" "$(kernel_elems)"
expect_status_matches "after the second iccd"
expect_tcp_ok web 10.88.0.2 3306
stop_iccd
in_host nft delete table inet icc || fatal "cannot delete table inet icc"
in_host nft delete table bridge icc || fatal "cannot delete table bridge icc"

# ---- --table NAME --icc on ---------------------------------------------------

ICC_TABLE=t28tab
ICC_ICCD_ARGS=(--table "$ICC_TABLE" --icc on)
rm -rf "$ICC_STATE"
start_iccd
# Its two tables (inet, and bridge for port bindings) and no other.
same "--table $ICC_TABLE: the only tables" "bridge $ICC_TABLE
inet $ICC_TABLE" "$(tables)"
golden=$(sed -e 's/^\([[:space:]]*\)#= /\1/' -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' \
	-e "s/^table inet icc {\$/table inet $ICC_TABLE {/" "$ICC_SRCDIR/rules/icc.nft")
same "--table $ICC_TABLE: laid out as rules/icc.nft" "$golden" \
	"$(nft_table | owner_marks_off | sed '/^[[:space:]]*$/d' | zero_counters)"
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start other --bridge br0 --ip 10.88.0.4 --ip6 fd88::4
expect_list "--icc on" "bridge br0 icc on"
expect_elems "--icc on: no closed element" closed </dev/null
expect_elems "--icc on: web's link" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links6 fd88::3 . fd88::2 . tcp . 3306
END
expect_tcp_ok other 10.88.0.2 3306
expect_tcp_ok other fd88::2 3306
expect_tcp_ok db 10.88.0.4 22
must bridge br0 --icc off
expect_elems "--icc on, then bridge --icc off" closed <<'END'
closed "br0" . "br0"
END
expect_tcp_fail other 10.88.0.2 3306
expect_tcp_ok web 10.88.0.2 3306
expect_status_matches "--table $ICC_TABLE at the end"

finish
