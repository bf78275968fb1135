#!/bin/bash
# t37-range-gc: a stop that revokes thousands of port ranges is answered
# at once: the kernel gets the pairs' deletes (pairs4), and the ranges,
# inert without their pair, are deleted later a chunk at a time (iccd's
# range garbage queue, iccd(8)).  While they are queued:
#  - the receiver's old address cannot reach the old ranges (a real
#    connection times out while the range element is still in the kernel);
#  - another client's requests are answered;
#  - a new container reusing the address, linked to the same source with
#    other ranges, gets nothing until the pair's old ranges are gone, then
#    exactly its new ranges.
# In the end the queue is empty and the table equals the model.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null 2>&1 || fatal "required tool 'jq' not found"

NSRC=32		# sources of 256 ranges each: 8,192 range elements
LAST=10.88.0.132	# the last source: its ranges are the last iccd drains
# One element per chunk: the queue cannot drain before the test looks.
ICC_ICCD_ARGS=(--gc-chunk-max 1)

# exposes: 256 ranges P-P+4/tcp, P = 10000, 10010, ...
exposes() {
	local j
	for j in $(seq 0 255); do
		printf -- '--expose %d-%d/tcp ' $((10000 + 10 * j)) $((10004 + 10 * j))
	done
}

# gc FIELD: status's range_gc.FIELD.
gc() { iccctl status --json | jq -r ".range_gc.$1"; }

# in_kernel SET ELEMENT: the kernel's set holds ELEMENT (a GET).
in_kernel() { in_host nft get element inet icc "$1" "{ $2 }" >/dev/null 2>&1; }

# wait_gc FIELD: until range_gc.FIELD is 0 (bounded, ICC_SLOW-scaled).
wait_gc() {
	local i n bound=$((600 * ICC_SLOW))
	for i in $(seq 1 "$bound"); do
		n=$(gc "$1")
		[ "$n" = 0 ] && { log "range_gc.$1 reached 0 after ~$((i / 2)) s"; return 0; }
		sleep 0.5
	done
	fatal "range_gc.$1 still $n after $((bound / 2)) s"
}

add_container web 10.88.0.3
add_container last "$LAST"
add_container app 10.88.0.5
add_container api 10.88.0.6
start_iccd

links=()
# shellcheck disable=SC2046 # exposes: one word per option
for i in $(seq 1 $((NSRC - 1))); do
	must start "src$i" --bridge br0 --ip "10.88.0.$((100 + i))" $(exposes) >/dev/null
	links+=(--link "src$i")
done
# shellcheck disable=SC2046
must start last --bridge br0 --ip "$LAST" $(exposes)
must start web --bridge br0 --ip 10.88.0.3 "${links[@]}" --link last
expect_tcp_ok web "$LAST" 10002

# freeze, thaw: stop iccd (SIGSTOP) so that its drain cannot move while
# the kernel is looked at and probed; let it go on.
freeze() { kill -STOP "$ICC_ICCD_PID" || fatal "cannot stop iccd"; }
thaw() { kill -CONT "$ICC_ICCD_PID" || fatal "cannot continue iccd"; }

# ---- the stop: answered at once, the ranges queued -----------------------
must stop web
queued=$(gc queued)
if [ "$queued" -gt 0 ] 2>/dev/null; then
	pass "after the stop reply $queued range elements are still queued ($(gc pairs) pairs)"
else
	fail "the queue was already empty ('$queued') when the stop was answered: the test cannot look at it (more ranges or a smaller --gc-chunk-max)"
fi

# ---- another client is served while the queue drains --------------------
before=$(gc queued)
must start api --bridge br0 --ip 10.88.0.6 --expose 80/tcp
must start app --bridge br0 --ip 10.88.0.5
must link app api
after=$(gc queued)
if [ "$before" -gt 0 ] && [ "$after" -gt 0 ]; then
	pass "three requests answered while the queue held $before, then $after range elements"
else
	fail "the queue was empty around the other client's requests ($before, $after): nothing was shown"
fi
expect_tcp_ok app 10.88.0.6 80

# ---- the old ranges, still in the kernel, allow nothing ------------------
freeze
if in_kernel ranges4 "10.88.0.3 . $LAST . tcp . 10002"; then
	pass "the range 10000-10004 of 10.88.0.3 -> $LAST is still in the kernel (queued)"
else
	fail "the range 10000-10004 was drained already: the probe below proves nothing"
fi
in_kernel pairs4 "10.88.0.3 . $LAST" && fail "pair 10.88.0.3 . $LAST still in the kernel after the stop"
expect_tcp_fail web "$LAST" 10002
thaw

# ---- a new container at the old address, other ranges of the same source
# 10000-10004 is one of the old ranges (taken off the queue: nothing to
# add), 20000-20009 is new, 10020-10035 overlaps two old ones.
must stop last
must start last --bridge br0 --ip "$LAST" --expose 10000-10004/tcp \
	--expose 20000-20009/tcp --expose 10020-10035/tcp
must start web2 --bridge br0 --ip 10.88.0.3 --link last
# iccctl check asks the kernel too (element GETs): 10000-10004 is in the
# kernel (taken off the queue), its pair not yet: the kernel allows
# nothing, though the model does.
chk=$(iccctl check web2 last 10002/tcp --json)
freeze
if in_kernel ranges4 "10.88.0.3 . $LAST . tcp . 12552" &&
	! in_kernel pairs4 "10.88.0.3 . $LAST" &&
	! in_kernel ranges4 "10.88.0.3 . $LAST . tcp . 20005"; then
	pass "old ranges of the pair still queued: the pair and the new range 20000-20009 wait"
else
	fail "when iccd was stopped the pair's old ranges were gone or its adds made: nothing to see (more ranges per source?)"
fi
in_kernel ranges4 "10.88.0.3 . $LAST . tcp . 10002" ||
	fail "10000-10004 is not in the kernel: it should have stayed (identical to a queued one)"
same "iccctl check web2 last 10002 before the pair is back: model allows, kernel allows, kernel element" \
	"true false " "$(jq -r '"\(.model_allowed) \(.allowed) \(.kernel.element)"' <<<"$chk")"
expect_tcp_fail web "$LAST" 20005
expect_tcp_fail web "$LAST" 10002
thaw
wait_gc pending
# iccd stopped while nft looks: a `nft get element` that meets one of the
# drain's commits may fail (its dump is interrupted), which would read as
# a missing pair.
freeze
in_kernel pairs4 "10.88.0.3 . $LAST" || fail "pair 10.88.0.3 . $LAST missing once its old ranges were gone"
thaw
expect_tcp_ok web "$LAST" 20005
expect_tcp_ok web "$LAST" 10025
expect_tcp_ok web "$LAST" 10002
# An old range that is not among the new ones (10040-10044).
expect_tcp_fail web "$LAST" 10042
if [ "$(gc queued)" -gt 0 ]; then
	pass "the new link works while other pairs' ranges are still queued"
else
	log "note: the queue was empty before the new link was probed"
fi

# ---- drained: the table is the model ------------------------------------
wait_gc queued
expect_elems "web2's ranges of $LAST, exactly" ranges4 <<END
ranges4 10.88.0.3 . $LAST . tcp . 10000-10004
ranges4 10.88.0.3 . $LAST . tcp . 10020-10035
ranges4 10.88.0.3 . $LAST . tcp . 20000-20009
END
expect_status_matches "drained"
expect_kernel_is_model "drained"
drained=$(gc drained)
if [ "$drained" -gt 0 ]; then
	pass "range_gc.drained: $drained"
else
	fail "range_gc.drained is '$drained'"
fi

finish
