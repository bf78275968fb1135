#!/bin/bash
# t38-cold-cache: a cold start (no table in the kernel) loads the element
# cache (elements.cache in the state directory) while the state is read,
# and the table it leaves is the state's, whatever the cache said:
#   (a) a clean stop writes the cache; a cold start loads it ("from the
#       element cache" in the loaded line) and the table is the model's;
#   (b) the state edited while iccd is down, in place, so that the cache
#       still looks current (its generation is the directory's): the
#       cache grants spy -> srv, the state does not: after the start the
#       table equals the state's elements exactly and spy's connection
#       times out, web's still works;
#   (c) a damaged cache (one flipped byte) is ignored with a log line,
#       and a stale one (a file renamed into c/) too: the tables after
#       those starts are the state's;
#   (d) a cache others may write is ignored like a state file would be.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null 2>&1 || fatal "required tool 'jq' not found"

CACHE=$ICC_STATE/elements.cache

# cold_start: stop iccd, delete its tables (the orphans a stop leaves),
# then start it with no table in the kernel.
cold_stop() {
	stop_iccd
	in_host nft delete table inet icc || fatal "cannot delete table inet icc"
	in_host nft delete table bridge icc 2>/dev/null
}

# expect_log WHAT PATTERN: iccd's log has a line matching PATTERN (ERE)
# since the mark.
MARK=0
mark_log() { MARK=$(wc -l <"$ICC_ICCD_LOG"); }
expect_log() {
	if tail -n +"$((MARK + 1))" "$ICC_ICCD_LOG" | grep -qE -- "$2"; then
		pass "$1: log says $(tail -n +"$((MARK + 1))" "$ICC_ICCD_LOG" | grep -E -- "$2" | head -n 1)"
	else
		fail "$1: no log line matching \"$2\"; log since the start:"
		tail -n +"$((MARK + 1))" "$ICC_ICCD_LOG" | sed 's/^/  /'
	fi
}

add_container srv 10.88.0.2
add_container web 10.88.0.3
add_container spy 10.88.0.4
start_iccd
must start srv --bridge br0 --ip 10.88.0.2 --expose 8080/tcp
must start web --bridge br0 --ip 10.88.0.3 --link srv:db
must start spy --bridge br0 --ip 10.88.0.4 --link srv:db
expect_tcp_ok spy 10.88.0.2 8080

log "---- (a) a clean stop writes the cache; a cold start loads it"
cold_stop
if [ -f "$CACHE" ]; then
	pass "(a) the clean stop wrote $CACHE"
else
	fail "(a) no $CACHE after a clean stop"
fi
mark_log
start_iccd
expect_log "(a) start" 'from the element cache'
expect_kernel_is_model "(a) after the cold start from the cache"
expect_status_matches "(a)"
expect_tcp_ok spy 10.88.0.2 8080
expect_tcp_ok web 10.88.0.2 8080

log "---- (b) the state no longer grants what the cache does"
cold_stop
# spy's file rewritten in place without its link: c/ itself does not
# change, so the cache's generation still matches; only the compare
# after the model is built can tell.
SPY=$ICC_STATE/c/spy.json
[ -f "$SPY" ] || fatal "no $SPY"
jq -c '.links = []' "$SPY" >"$ICC_TMP/spy.json" || fatal "jq failed"
cat "$ICC_TMP/spy.json" >"$SPY" || fatal "cannot rewrite $SPY in place"
mark_log
start_iccd
expect_log "(b) start" 'element cache differs from what the state derives'
expect_elems "(b) exactly the state's elements" <<-EOF
	links4 10.88.0.3 . 10.88.0.2 . tcp . 8080
EOF
expect_kernel_is_model "(b)"
expect_status_matches "(b)"
expect_tcp_fail spy 10.88.0.2 8080
expect_tcp_ok web 10.88.0.2 8080

log "---- (c) a damaged cache, then a stale one, are ignored"
cold_stop
[ -f "$CACHE" ] || fatal "(c) no cache after the stop"
# One byte in the middle, flipped (dd: in place, same inode).
size=$(stat -c %s "$CACHE")
byte=$(dd if="$CACHE" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape of one byte
printf "$(printf '\\%03o' $(((byte ^ 255) & 255)))" |
	dd of="$CACHE" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null ||
	fatal "cannot damage the cache"
mark_log
start_iccd
expect_log "(c) damaged" 'element cache ignored: elements.cache: (checksum mismatch|element [0-9]+ is not)'
expect_kernel_is_model "(c) after the damaged cache"
expect_tcp_fail spy 10.88.0.2 8080
cold_stop
# A stale one: the state grants spy again, written as iccd would (a new
# file renamed into c/), over a cache that does not.
if ! jq -c '.links = ["srv:db"]' "$SPY" >"$ICC_STATE/c/.spy.new" ||
	! mv "$ICC_STATE/c/.spy.new" "$SPY"; then
	fatal "cannot rewrite $SPY"
fi
mark_log
start_iccd
expect_log "(c) stale" 'element cache ignored: elements.cache: stale'
expect_kernel_is_model "(c) after the stale cache"
expect_tcp_ok spy 10.88.0.2 8080

log "---- (d) a cache others may write is ignored"
cold_stop
chmod 0666 "$CACHE" || fatal "chmod failed"
mark_log
start_iccd
expect_log "(d)" 'element cache ignored: .*writable by group or others'
expect_kernel_is_model "(d)"
stop_iccd
if [ "$(stat -c %a "$CACHE")" = 600 ]; then
	pass "(d) the next stop wrote a cache of mode 0600"
else
	fail "(d) the cache is mode $(stat -c %a "$CACHE") after the stop"
fi

finish
