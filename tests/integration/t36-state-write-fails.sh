#!/bin/bash
# t36-state-write-fails: a change whose state record cannot be made
# durable is refused and changes nothing.  iccd journals each round's
# changes and makes them durable with one write before any reply goes out
# (group commit); when that write fails, the round's changes are taken
# back: the kernel's table, the model (`iccctl list`), the traffic, and
# what a restart loads.  The write is made to fail by a file size limit
# of 1 byte on the running iccd (prlimit --fsize, the soft limit only):
# write(2) then fails with EFBIG, whatever the journal's size.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null 2>&1 || fatal "prlimit (util-linux) is needed"

# refused WHAT ARGS...: iccctl ARGS must fail with iccd's state error.
refused() {
	local what=$1 out
	shift
	if out=$(iccctl "$@" 2>&1); then
		fail "$what: iccctl $* succeeded while the state cannot be written"
	elif printf '%s\n' "$out" | grep -q 'state: .*taken back'; then
		pass "$what: refused: $out"
	else
		fail "$what: refused, but not for the state write: $out"
	fi
}

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
start_iccd
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb
expect_tcp_ok web 10.88.0.2 3306
L0=$(iccctl list) || fatal "iccctl list failed"

log "== state writes fail (RLIMIT_FSIZE 1 byte on iccd)"
prlimit --pid "$ICC_ICCD_PID" --fsize=1: || fatal "prlimit failed"
refused "unlink" unlink web aliasdb
refused "stop" stop db
refused "IP change" start db --bridge br0 --ip 10.88.0.12 --ip6 fd88::12 --expose 3306/tcp
same "the model is as before the refused changes" "$L0" "$(iccctl list)"
expect_kernel_is_model "after the refused changes"
expect_status_matches "after the refused changes"
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_ok web fd88::2 3306

log "== state writes work again"
prlimit --pid "$ICC_ICCD_PID" --fsize=unlimited: || fatal "prlimit failed"
must unlink web aliasdb
expect_tcp_fail web 10.88.0.2 3306
L1=$(iccctl list) || fatal "iccctl list failed"

log "== kill -9 and restart: the refused changes were never written"
kill -KILL "$ICC_ICCD_PID"
iccd_reap "$ICC_ICCD_PID"
ICC_ICCD_PID=
start_iccd
same "after the restart, the model is the last accepted one" "$L1" "$(iccctl list)"
expect_kernel_is_model "after the restart"
expect_tcp_fail web 10.88.0.2 3306
expect_list "db after the restart" \
	"container db running bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp"

finish
