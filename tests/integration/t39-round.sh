#!/bin/bash
# t39-round: group commit in the kernel.  Requests that reach iccd in one
# poll round (icc-burst: iccd stopped, one request written on each of
# several connections it accepted before, iccd continued) are committed
# as ONE nftables transaction, counted with `nft monitor` ("new
# generation ... by process <iccd>", between marker tables as in t27):
# fewer transactions than requests, every request answered ok and its
# element in the table.  Then a burst in which the kernel refuses one
# request: the bridge table is swapped for a copy another process owns
# (nft -i, flags owner; its sets, no rules), so the start that binds a port (a bridge-table
# element) is refused while the links (inet table only) are not: the
# round is taken back and handled one by one: the start gets the
# kernel's error and is not in the model, the links commit, one
# transaction each.  Requests one at a time stay one transaction each
# (t27).
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BURST=$ICC_BUILDDIR/tests/integration/icc-burst
[ -x "$BURST" ] || fatal "$BURST is missing: build with make check"

N=8
add_container db 10.88.0.2
for i in $(seq 1 $N); do
	add_container "c$i" "10.88.0.$((10 + i))"
done
add_container bx 10.88.0.40
# The owned copy of the bridge table replaces iccd's: iccd must not own
# its tables (t30 covers the owned ones).
ICC_ICCD_ARGS=(--no-own-table)
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --expose 3306/tcp
for i in $(seq 1 $N); do
	must start "c$i" --bridge br0 --ip "10.88.0.$((10 + i))"
done

monitor_start
mark() { monitor_mark; }

# burst OUT REQUEST...: the requests in one round; replies in OUT; the
# transactions iccd committed meanwhile in TXNS.
burst() {
	local out=$1 from
	shift
	mark
	from=$(wc -l <"$MON")
	"$BURST" "$ICC_SOCK" "$ICC_ICCD_PID" "$@" >"$out" ||
		fatal "icc-burst failed"
	mark
	TXNS=$(tail -n +"$((from + 1))" "$MON" |
		grep -c "^# new generation [0-9]* by process $ICC_ICCD_PID ")
}

# reply_ok OUT I WHAT: request I of the burst was answered ok.
reply_ok() {
	local line
	line=$(sed -n "$2p" "$1")
	if [ "$(printf '%s\n' "${line#* }" | jq -r .ok)" = true ]; then
		pass "$3: ok"
	else
		fail "$3: expected ok, got: $line"
	fi
}

# ---- a burst: one transaction ---------------------------------------------

reqs=()
want=()
for i in $(seq 1 $N); do
	reqs+=("{\"cmd\":\"link\",\"name\":\"c$i\",\"link\":\"db:a$i\"}")
	want+=("links4 10.88.0.$((10 + i)) . 10.88.0.2 . tcp . 3306")
done
burst "$ICC_TMP/burst1" "${reqs[@]}"
if [ "$TXNS" -ge 1 ] && [ "$TXNS" -lt "$N" ]; then
	pass "$N links in one round: $TXNS transaction(s), fewer than the requests"
else
	fail "$N links in one round: iccd committed $TXNS transactions"
fi
for i in $(seq 1 $N); do
	reply_ok "$ICC_TMP/burst1" "$i" "burst link c$i"
done
printf '%s\n' "${want[@]}" | expect_elems "after the burst"
rt=$(iccctl status --json | jq -r '.round_transactions') || fatal "iccctl status failed"
if [ "$rt" -ge 1 ]; then
	pass "status counts $rt group-commit transaction(s)"
else
	fail "status: round_transactions is $rt after a burst"
fi
expect_status_matches "after the burst"

# ---- a burst with one request the kernel refuses ---------------------------

OWN_FIFO=$ICC_TMP/owner.fifo
mkfifo "$OWN_FIFO" || fatal "mkfifo failed"
ip netns exec "$HOST" nft -i <"$OWN_FIFO" >"$ICC_TMP/owner.log" 2>&1 &
OWNER_PID=$!
ICC_PIDS+=("$OWNER_PID")
exec {OWN_FD}>"$OWN_FIFO"
{
	echo "delete table bridge icc"
	# Its sets only: nft cannot read its rules' raw payloads back.
	in_host nft list table bridge icc | awk 'NR == 1 { print; print "\tflags owner"; next }
		/^\tset / { s = 1 } s { print } /^\t}$/ { s = 0 } END { print "}" }'
} >"$ICC_TMP/owned.nft" || fatal "cannot dump the bridge table"
echo "include \"$ICC_TMP/owned.nft\"" >&"$OWN_FD"
for i in $(seq 1 $((100 * ICC_SLOW))); do
	in_host nft list table bridge icc 2>/dev/null | grep -qx '	flags owner' && break
	sleep 0.05
done
if ! in_host nft list table bridge icc | grep -qx '	flags owner'; then
	sed 's/^/  nft -i| /' "$ICC_TMP/owner.log"
	fatal "the owned copy did not take the bridge table's place"
fi
pass "control: another process owns table bridge icc"

read -r bport bmac <<<"$(bind_args bx | awk '{ print $2, $4 }')"
reqs=("{\"cmd\":\"unlink\",\"name\":\"c1\",\"alias\":\"a1\"}"
	"{\"cmd\":\"start\",\"name\":\"bx\",\"bridge\":\"br0\",\"ip\":\"10.88.0.40\",\"links\":[\"db:b\"],\"port\":\"$bport\",\"mac\":\"$bmac\"}"
	"{\"cmd\":\"unlink\",\"name\":\"c2\",\"alias\":\"a2\"}")
burst "$ICC_TMP/burst2" "${reqs[@]}"
reply_ok "$ICC_TMP/burst2" 1 "refused round: unlink c1 (replayed alone)"
reply_ok "$ICC_TMP/burst2" 3 "refused round: unlink c2 (replayed alone)"
line=$(sed -n 2p "$ICC_TMP/burst2")
err=$(printf '%s\n' "${line#* }" | jq -r .error)
if [ "$(printf '%s\n' "${line#* }" | jq -r .ok)" = false ] &&
	printf '%s\n' "$err" | grep -q '^kernel: .*Operation not permitted'; then
	pass "refused round: the start of bx gets the kernel's error: $err"
else
	fail "refused round: expected the kernel's refusal for bx, got: $line"
fi
if [ "$TXNS" -eq 2 ]; then
	pass "refused round: one transaction for each request that commits"
else
	fail "refused round: expected 2 transactions, iccd committed $TXNS"
fi
expect_list_none "refused round: bx is not in the model" "^container bx "
printf '%s\n' "${want[@]:2}" | expect_elems "after the refused round"
if grep -q "group commit: the kernel refused the transaction of 3 requests" "$ICC_ICCD_LOG"; then
	pass "iccd logged the refused round"
else
	fail "no log line for the refused round"
fi

# The owner goes, iccd rebuilds its bridge table; bx can start now.
exec {OWN_FD}>&-
wait "$OWNER_PID"
for i in $(seq 1 $((100 * ICC_SLOW))); do
	[ "$(iccctl status --json | jq -r .matches)" = true ] && break
	sleep 0.05
done
expect_status_matches "after the owner went away"
# shellcheck disable=SC2046
must start bx --bridge br0 --ip 10.88.0.40 --link db:b $(bind_args bx)
expect_bound "bx after the owner went away" bx
expect_list_none "the unlinks stand" "^link c[12] db "

finish
