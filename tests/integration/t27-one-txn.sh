#!/bin/bash
# t27-one-txn: every request that changes the table is one nftables
# transaction, however many elements it touches, so that the kernel never
# holds half a change: start, IP change, stop, rm, link, unlink, bridge
# and reload, each changing several elements (IPv4 and IPv6, two ports),
# are counted with `nft monitor` in the host namespace: exactly one "new
# generation ... by process <iccd>" per request, none for a request that
# changes nothing.  A foreign table added and deleted around each request
# marks where its events begin and end (events come in commit order), so
# the count needs no sleep.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

RULES=$ICC_TMP/rules.d
mkdir -p "$RULES" || fatal "cannot create $RULES"
: >"$RULES/10-t27.rules"
ICC_ICCD_ARGS=(--rules-dir "$RULES")

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container app 10.88.0.5 fd88::5
start_iccd

monitor_start
mark() { monitor_mark; }

# expect_txns WHAT N ARGS...: iccctl ARGS succeeds and iccd commits
# exactly N transactions for it.
expect_txns() {
	local what=$1 want=$2 from got
	shift 2
	mark
	from=$(wc -l <"$MON")
	must "$@" || return 1
	mark
	got=$(tail -n +"$((from + 1))" "$MON" |
		grep -c "^# new generation [0-9]* by process $ICC_ICCD_PID ")
	if [ "$got" -eq "$want" ]; then
		pass "$what: $want transaction(s) ($*)"
	else
		fail "$what: expected $want transaction(s), iccd committed $got ($*):"
		tail -n +"$((from + 1))" "$MON" | grep -v t27mark | sed 's/^/  monitor| /'
	fi
}

# No port range: nft 1.0.6's monitor reads garbage (and may crash) when it
# prints an event of a concatenated interval set element, which would end
# the count; ranges are batched like any other element (kbatch).
DB=(--bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp --expose 53/udp)
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
must start app --bridge br0 --ip 10.88.0.5 --ip6 fd88::5

expect_txns "start (db, with web's pending link: 4 elements)" 1 start db "${DB[@]}"
expect_elems "after start" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links4 10.88.0.3 . 10.88.0.2 . udp . 53
links6 fd88::3 . fd88::2 . tcp . 3306
links6 fd88::3 . fd88::2 . udp . 53
END
expect_txns "start again, nothing changes" 0 start db "${DB[@]}"
expect_txns "link (app to db: 4 elements)" 1 link app db:aliasdb
expect_txns "unlink (app from db: 4 elements)" 1 unlink app aliasdb
expect_txns "IP change (db: 4 deleted, 4 added)" 1 start db --bridge br0 \
	--ip 10.88.0.12 --ip6 fd88::12 --expose 3306/tcp --expose 53/udp
expect_txns "stop (db: 4 elements)" 1 stop db
expect_txns "stop again, nothing changes" 0 stop db
must start db "${DB[@]}"
expect_txns "bridge icc on (closed element out)" 1 bridge br0 --icc on
expect_txns "bridge icc off (closed element in)" 1 bridge br0 --icc off
cat >"$RULES/10-t27.rules" <<'END'
link app db:aliasdb
END
expect_txns "reload (app to db from a file: 4 elements)" 1 reload
expect_txns "reload of the same file" 0 reload
expect_txns "rm (db: 8 elements)" 1 rm db
expect_elems "after rm" </dev/null
expect_status_matches "at the end"

finish
