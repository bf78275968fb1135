#!/bin/bash
# t17-control: who may use the control socket, and what bad input does.
#   permissions: `iccd --group NAME` makes the socket 0660 root:NAME; a
#     member of NAME (as a supplementary or as the primary group) may
#     change state; anyone else cannot even connect (EACCES from the
#     socket's mode); with the socket opened up (chmod 0666) such a peer
#     may list, but every state-changing request is refused by iccd from
#     the peer's credentials: one "permission denied" line, nothing
#     changed, a refusal in iccd's log.  Without --group: root:root 0660.
#     A --group naming no group is refused before anything is touched.
#   limits: a member holding 16 connections (CONTROL_UID_CLIENTS) gets one
#     error reply naming the limit for a 17th, logged; another member and
#     root are still served.
#   bad input over the raw socket (icc-rawctl): oversized length, wrong
#     version, wrong type, a truncated payload then close, an empty one,
#     malformed JSON, an array, unknown command, unknown field, NUL bytes,
#     arrays over ICC_MAX_PORTS/LINKS/ENV entries: each gets an error reply
#     naming the problem (or, for the truncation, a clean close), changes
#     nothing (list --json and the kernel's sets identical), and iccd keeps
#     answering.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in jq setpriv useradd userdel groupadd groupdel getent stat; do
	command -v "$tool" >/dev/null 2>&1 || fatal "required tool '$tool' not found"
done
ICC_RAWCTL=$ICC_BUILDDIR/tests/integration/icc-rawctl
[ -x "$ICC_RAWCTL" ] || fatal "$ICC_RAWCTL is missing: build with make check"

# ---- a temporary group and users, removed however the test ends -------------

GRP=${ICC_RUN}g		# e.g. icc1234x5678g: unique to the run, <= 32 bytes
U_MEMBER=${ICC_RUN}m	# in GRP as a supplementary group
U_PRIMARY=${ICC_RUN}p	# GRP is its primary group
U_OTHER=${ICC_RUN}o	# not in GRP
MADE_USERS=()
MADE_GROUP=

# shellcheck disable=SC2317  # called from the EXIT trap
t17_cleanup() {
	local u
	for u in "${MADE_USERS[@]}"; do
		userdel "$u" >/dev/null 2>&1 || echo "cleanup: userdel $u failed" >&2
	done
	if [ -n "$MADE_GROUP" ]; then
		groupdel "$MADE_GROUP" >/dev/null 2>&1 || echo "cleanup: groupdel $MADE_GROUP failed" >&2
	fi
}
# lib.sh's icc_cleanup keeps the exit status from $?: hand it on.
trap 'rc=$?; t17_cleanup; (exit $rc); icc_cleanup' EXIT

# Only what this run created is recorded, so the cleanup can never
# remove an account it did not make.
groupadd --system "$GRP" || fatal "groupadd $GRP failed"
MADE_GROUP=$GRP
add_user() {
	local name=$1
	shift
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$@" "$name" || fatal "useradd $name failed"
	MADE_USERS+=("$name")
}
add_user "$U_MEMBER" --gid nogroup --groups "$GRP"
add_user "$U_PRIMARY" --gid "$GRP"
add_user "$U_OTHER" --gid nogroup

# The users need a way to the socket and to iccctl: a directory of their
# own in the run's directory (which itself only becomes traversable).
PUB=$ICC_TMP/pub
mkdir -m 0755 "$PUB" || fatal "mkdir $PUB"
chmod 0711 "$ICC_TMP" || fatal "chmod $ICC_TMP"
cp "$ICCCTL_BIN" "$PUB/iccctl" || fatal "cannot copy iccctl"
chmod 0755 "$PUB/iccctl" || fatal "cannot chmod $PUB/iccctl"
ICC_SOCK=$PUB/sock

# as USER ARGS...: iccctl run as USER with exactly USER's groups.
as() {
	local user=$1
	shift
	setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups \
		env ICCD_SOCKET="$ICC_SOCK" timeout 20 "$PUB/iccctl" "$@"
}

# start_iccd_with ARGS...: lib.sh's start_iccd (valgrind wrapper included)
# with extra iccd options.
start_iccd_with() {
	local i
	local -a wrap=()
	mkdir -p "$ICC_STATE" || fatal "cannot create $ICC_STATE"
	log "+ iccd --foreground $* (host namespace)"
	valgrind_wrap wrap
	ip netns exec "$HOST" "${wrap[@]}" "$ICCD_BIN" --foreground \
		--socket "$ICC_SOCK" --state-dir "$ICC_STATE" "$@" \
		>>"$ICC_ICCD_LOG" 2>&1 &
	ICC_ICCD_PID=$!
	for i in $(seq 1 300); do
		iccctl status >/dev/null 2>&1 && return 0
		kill -0 "$ICC_ICCD_PID" 2>/dev/null ||
			fatal "iccd exited at start: $(tail -n 5 "$ICC_ICCD_LOG")"
		sleep 0.1
	done
	fatal "iccd did not answer iccctl status within 30 s"
}

# ---- snapshots: "nothing changed" ------------------------------------------------

ALL_SETS=(closed links4 ranges4 links6 ranges6)

# snapshot: the model (list --json, canonical) and the kernel's sets.
snapshot() {
	iccctl list --json | jq -S '
		.bridges |= sort_by(.name)
		| .containers |= sort_by(.name)
		| .links |= (map(.allow |= sort) | sort_by(.receiver, .alias))' ||
		echo "iccctl list failed"
	kernel_elems "${ALL_SETS[@]}" || echo "kernel dump failed"
}

# expect_unchanged WHAT BEFORE: the snapshot now equals BEFORE.
expect_unchanged() {
	local now
	now=$(snapshot)
	if [ "$now" = "$2" ]; then
		pass "$1: nothing changed (list --json and kernel sets identical)"
		return 0
	fi
	fail "$1: the state changed (- before, + after):"
	diff <(printf '%s\n' "$2") <(printf '%s\n' "$now") | sed -n 's/^</  -/p; s/^>/  +/p'
	return 1
}

# refusals: how many refusals iccd has logged so far.
refusals() { grep -c 'refused .* from an unprivileged peer' "$ICC_ICCD_LOG"; }

# ---- the world ------------------------------------------------------------------

add_container srv 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
start_iccd_with --group "$GRP"
must start srv --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 8080/tcp --expose 7000-7010/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link srv:db
expect_tcp_ok web 10.88.0.2 8080

# ---- the socket -------------------------------------------------------------------

mode=$(stat -c '%a %U %G' "$ICC_SOCK")
want_mode="660 root $GRP"
if [ "$mode" = "$want_mode" ]; then
	pass "socket with --group $GRP: $mode"
else
	fail "socket with --group $GRP: expected '$want_mode', got '$mode'"
fi

# ---- group members may change state -----------------------------------------------

for u in "$U_MEMBER" "$U_PRIMARY"; do
	kind=$([ "$u" = "$U_MEMBER" ] && echo "supplementary" || echo "primary")
	if out=$(as "$u" start "m-$u" --bridge br0 --ip 10.88.0.60 2>&1) &&
		out=$(as "$u" stop "m-$u" 2>&1) && out=$(as "$u" rm "m-$u" 2>&1); then
		pass "a member ($kind group) may start, stop and remove"
	else
		fail "a member ($kind group) was refused: $out"
	fi
	if out=$(as "$u" list 2>&1) && printf '%s\n' "$out" | grep -q '^container web running'; then
		pass "a member ($kind group) may list"
	else
		fail "a member ($kind group) cannot list: $out"
	fi
done
expect_list_none "members' containers are gone again" '^container m-'

# ---- anyone else cannot connect ------------------------------------------------------

before=$(snapshot)
for cmd in "status" "list" "stop web"; do
	# shellcheck disable=SC2086
	out=$(as "$U_OTHER" $cmd 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q 'Permission denied'; then
		pass "outsider: iccctl $cmd cannot connect: $out"
	else
		fail "outsider: iccctl $cmd: expected 'Permission denied' from connect; got exit $rc: $out"
	fi
done
expect_unchanged "outsider without access" "$before"

# ---- a peer with access but no privilege: read only ---------------------------------

# The socket opened up by hand: now iccd's own check is all that stands.
chmod 0666 "$ICC_SOCK" || fatal "chmod 0666 $ICC_SOCK"
before=$(snapshot)
# What it reads is what root reads (status: its model and table figures;
# the rest byte for byte), not merely an exit status of 0.
for cmd in "status --json" "list" "list --json" "env web" "hosts web" \
	"check web srv 8080" "log --json"; do
	# shellcheck disable=SC2086
	if out=$(as "$U_OTHER" $cmd 2>&1); then
		# shellcheck disable=SC2086
		want=$(iccctl $cmd 2>&1)
		if [ "$cmd" = "status --json" ]; then
			fig='"\(.present) \(.matches) \(.elements) \(.containers)"'
			out=$(jq -r "$fig" <<<"$out" 2>&1)
			want=$(jq -r "$fig" <<<"$want" 2>&1)
		fi
		if [ -n "$out" ] && [ "$out" = "$want" ]; then
			pass "read-only peer may: iccctl $cmd (the same answer as root's)"
		else
			fail "read-only peer: iccctl $cmd: an answer other than root's:"
			diff <(printf '%s\n' "$want") <(printf '%s\n' "$out") | sed 's/^/  /'
		fi
	else
		fail "read-only peer: iccctl $cmd refused: $out"
	fi
done
denied=(
	"start intruder --bridge br0 --ip 10.88.0.66"
	"start web --bridge br0 --ip 10.88.0.66"
	"stop web"
	"rm web"
	"link web nobody:x"
	"unlink web db"
	"bridge br0 --icc on"
	"hosts web --write $PUB/hosts"
)
for cmd in "${denied[@]}"; do
	n0=$(refusals)
	# shellcheck disable=SC2086
	out=$(as "$U_OTHER" $cmd 2>&1)
	rc=$?
	verb=${cmd%% *}
	want="iccctl: permission denied: $verb needs root or the iccd group"
	if [ "$rc" -eq 1 ] && [ "$out" = "$want" ]; then
		pass "read-only peer: iccctl $verb refused with one line: $out"
	else
		fail "read-only peer: iccctl $cmd: expected exit 1 and '$want'; got exit $rc: $out"
	fi
	n1=$(refusals)
	if [ "$n1" -eq $((n0 + 1)) ]; then
		pass "read-only peer: iccd logged the refused $verb"
	else
		fail "read-only peer: iccd logged $((n1 - n0)) refusals for one refused $verb (expected 1)"
	fi
done
if [ -e "$PUB/hosts" ]; then
	fail "read-only peer: $PUB/hosts was written"
else
	pass "read-only peer: no hosts file written"
fi
expect_unchanged "read-only peer's refused requests" "$before"
expect_tcp_ok web 10.88.0.2 8080
chmod 0660 "$ICC_SOCK" || fatal "chmod 0660 $ICC_SOCK"

# ---- without --group: root only ----------------------------------------------------

stop_iccd
start_iccd
mode=$(stat -c '%a %U %G' "$ICC_SOCK")
if [ "$mode" = "660 root root" ]; then
	pass "socket without --group: $mode"
else
	fail "socket without --group: expected '660 root root', got '$mode'"
fi
if out=$(as "$U_MEMBER" status 2>&1); then
	fail "without --group a member of $GRP still connects: $out"
else
	pass "without --group a member of $GRP cannot connect: $out"
fi
# Root's group may connect, and read; a write needs root (no iccd group
# to name).
out=$(setpriv --reuid "$U_OTHER" --regid 0 --clear-groups \
	env ICCD_SOCKET="$ICC_SOCK" timeout 20 "$PUB/iccctl" stop web 2>&1)
rc=$?
want="iccctl: permission denied: stop needs root"
if [ "$rc" -eq 1 ] && [ "$out" = "$want" ]; then
	pass "without --group: a write by root's group: $out"
else
	fail "without --group: a write by root's group: expected exit 1 and '$want'; got exit $rc: $out"
fi
stop_iccd

# ---- --group naming no group: refused before anything is touched -------------------

# In a namespace of its own with no table yet: iccd must refuse the option
# without creating its table there or binding a socket.
BADNS=$ICC_RUN-bad
new_netns "$BADNS"
in_ns "$BADNS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
	net.bridge.bridge-nf-call-ip6tables=1 >/dev/null 2>&1
out=$(ip netns exec "$BADNS" timeout 20 "$ICCD_BIN" --foreground --socket "$ICC_TMP/bad.sock" \
	--state-dir "$ICC_TMP/bad-state" --group "${GRP}x" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] &&
	printf '%s\n' "$out" | grep -q -- '--group'; then
	pass "iccd --group ${GRP}x: refused with one line naming --group: $out"
else
	fail "iccd --group ${GRP}x: expected a non-zero exit and one line naming --group; got exit $rc: $out"
fi
if in_ns "$BADNS" nft list table inet icc >/dev/null 2>&1; then
	fail "iccd --group ${GRP}x: refused, but it created table inet icc first"
else
	pass "iccd --group ${GRP}x: no table created"
fi
if [ -e "$ICC_TMP/bad.sock" ]; then
	fail "iccd --group ${GRP}x: a socket was left at $ICC_TMP/bad.sock"
else
	pass "iccd --group ${GRP}x: no socket left"
fi

# ---- bad input over the raw socket -------------------------------------------------

start_iccd_with --group "$GRP"

# How long icc-rawctl waits for iccd to do anything (ms): only a bound on
# a wait, so that a lost reply fails the test instead of hanging it;
# parsing a frame of 1.5 MiB takes much longer under valgrind.
RAW_WAIT=$((10000 * ICC_SLOW))

# ---- a member cannot starve root: 16 connections per uid ---------------------------

# A member holds CONTROL_UID_CLIENTS (16) connections, each answered once
# and then idle; its 17th is refused with one reply naming the limit,
# another member and root are still served.
cp "$ICC_RAWCTL" "$PUB/icc-rawctl" && chmod 0755 "$PUB/icc-rawctl" || fatal "cannot copy icc-rawctl"
raw_as() {
	local user=$1
	shift
	setpriv --reuid "$user" --regid "$(id -g "$user")" --init-groups \
		timeout 60 "$PUB/icc-rawctl" "$@"
}
HOLD=$ICC_TMP/hold
mkdir -p "$HOLD"
hold_pids=()
for i in $(seq 1 16); do
	raw_as "$U_MEMBER" --wait 40000 "$ICC_SOCK" 'frame:{"cmd":"status"}' >"$HOLD/$i" 2>&1 &
	hold_pids+=($!)
	ICC_PIDS+=($!)
done
for _ in $(seq 1 200); do
	[ "$(grep -l '^reply ' "$HOLD"/* 2>/dev/null | wc -l)" -eq 16 ] && break
	sleep 0.1
done
held=$(grep -l '^reply ' "$HOLD"/* 2>/dev/null | wc -l)
[ "$held" -eq 16 ] || fatal "only $held of 16 holding connections were answered"
out=$(raw_as "$U_MEMBER" --replies 1 --wait 5000 "$ICC_SOCK" 'frame:{"cmd":"status"}' 2>&1)
err=$(printf '%s\n' "$out" | sed -n 's/^reply [0-9]* //p' | jq -r 'select(.ok == false) | .error' 2>/dev/null)
want="control: uid $(id -u "$U_MEMBER") already holds 16 connections (the limit)"
if [ "$err" = "$want" ]; then
	pass "a member's 17th connection is refused: $err"
else
	fail "a member's 17th connection: expected the error '$want'; got: $out"
fi
if grep -q "uid $(id -u "$U_MEMBER") refused: uid .* already holds 16 connections" "$ICC_ICCD_LOG"; then
	pass "the refused connection is logged"
else
	fail "the refused connection is not in iccd's log"
fi
if out=$(as "$U_PRIMARY" status 2>&1); then
	pass "another member is served while the first holds its 16 connections"
else
	fail "another member was not served: $out"
fi
if out=$(iccctl list 2>&1); then
	pass "root is served while a member holds its 16 connections"
else
	fail "root was not served: $out"
fi
for pid in "${hold_pids[@]}"; do
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done

# raw WHAT WANT CHUNK...: send the chunks as root; WANT is what must come
# back: "close" (a clean close, no reply), "error:TEXT+close" (an error
# reply containing TEXT, then a close) or "error:TEXT" (an error reply
# containing TEXT; the connection may stay open).  Then nothing may have
# changed and iccd must still answer.
raw() {
	local what=$1 want=$2 before out rc reply err text
	shift 2
	before=$(snapshot)
	case $want in
	close)
		# Half-close after the bytes: iccd reads EOF mid-frame.
		out=$("$ICC_RAWCTL" --wait "$RAW_WAIT" --shut "$ICC_SOCK" "$@" 2>/dev/null) ;;
	error:*+close)
		out=$("$ICC_RAWCTL" --wait "$RAW_WAIT" "$ICC_SOCK" "$@" 2>/dev/null) ;;
	*)
		out=$("$ICC_RAWCTL" --wait "$RAW_WAIT" --replies 1 "$ICC_SOCK" "$@" 2>/dev/null) ;;
	esac
	rc=$?
	reply=$(printf '%s\n' "$out" | sed -n 's/^reply [0-9]* //p')
	case $want in
	close)
		if [ "$rc" -eq 0 ] && [ -z "$reply" ] && printf '%s\n' "$out" | grep -q '^eof '; then
			pass "$what: closed without a reply ($out)"
		else
			fail "$what: expected a close without a reply; got exit $rc: $out"
		fi
		;;
	error:*)
		text=${want#error:}
		text=${text%+close}
		err=$(jq -r 'select(.ok == false) | .error' <<<"$reply" 2>/dev/null)
		if [ "$rc" -eq 0 ] && [ -n "$err" ] && [[ "$err" == *"$text"* ]] &&
			{ [[ "$want" != *+close ]] || printf '%s\n' "$out" | grep -q '^eof '; }; then
			pass "$what: error reply '$err'$([[ "$want" == *+close ]] && echo ', then closed')"
		else
			fail "$what: expected an error reply with '$text'$([[ "$want" == *+close ]] &&
				echo ' and a close'); got exit $rc: $out"
		fi
		;;
	esac
	expect_unchanged "$what" "$before"
	iccctl status >/dev/null 2>&1 || fail "$what: iccd does not answer any more"
}

# The positive control: the tool and the snapshot do see a change.
before=$(snapshot)
out=$("$ICC_RAWCTL" --replies 1 "$ICC_SOCK" 'frame:{"cmd":"stop","name":"web"}')
if [ "$(printf '%s\n' "$out" | sed -n 's/^reply [0-9]* //p' | jq -r .ok 2>/dev/null)" = true ] &&
	[ "$(snapshot)" != "$before" ]; then
	pass "control: a well-formed stop over the raw socket is answered ok and changes the state"
else
	fail "control: a well-formed stop over the raw socket: $out"
fi
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link srv:db

REQ_MAX=$((2 << 20))	# src/proto.h ICC_REQ_MAX
raw "length over ICC_REQ_MAX" "error:request: too large+close" "hdr:$((REQ_MAX + 1)):1:1"
raw "length 0xffffffff" "error:request: too large+close" "hdr:0xffffffff:1:1" 'text:{"cmd":"list"}'
raw "wrong version" "error:request: bad frame header+close" "hdr:26:2:1" 'text:{"cmd":"stop","name":"web"}'
raw "wrong type (a reply)" "error:request: bad frame header+close" "hdr:26:1:2" 'text:{"cmd":"stop","name":"web"}'
raw "truncated payload, then close" close "hdr:100:1:1" 'text:{"cmd":"stop","name":"web"'
raw "empty payload" "error:request: empty payload+close" "hdr:0:1:1"
raw "malformed JSON" "error:malformed JSON+close" 'frame:{"cmd":"stop","name":"web"'
raw "trailing bytes after the object" "error:malformed JSON+close" 'frame:{"cmd":"stop","name":"web"}x'
raw "JSON array instead of an object" "error:malformed JSON+close" 'frame:["stop","web"]'
raw "JSON string instead of an object" "error:malformed JSON+close" 'frame:"stop web"'
# {"cmd":"stop","name":"web<NUL>x"}, the NUL as a raw byte and escaped.
raw "NUL byte inside a string" "error:malformed JSON+close" \
	"framehex:$(printf '{"cmd":"stop","name":"web' | od -An -tx1 | tr -d ' \n')0078227d"
raw "escaped NUL inside a string" "error:malformed JSON+close" 'frame:{"cmd":"stop","name":"web\u0000x"}'
raw "not UTF-8" "error:malformed JSON+close" \
	"framehex:$(printf '{"cmd":"stop","name":"' | od -An -tx1 | tr -d ' \n')fffe227d"
raw "duplicate key" "error:malformed JSON+close" 'frame:{"cmd":"list","cmd":"stop","name":"web"}'
raw "unknown command" 'error:cmd: unknown command "frobnicate"' 'frame:{"cmd":"frobnicate","name":"web"}'
raw "missing command" "error:cmd: missing" 'frame:{"name":"web"}'
raw "command not a string" "error:cmd: not a string" 'frame:{"cmd":["stop"],"name":"web"}'
raw "unknown field" "error:force: unknown field for stop" 'frame:{"cmd":"stop","name":"web","force":true}'
raw "name not a string" "error:name: not a string" 'frame:{"cmd":"stop","name":7}'
# More entries than allowed, in a start that would otherwise be valid
# (web, with its own address): nothing of it may be applied.
for field in expose links env; do
	case $field in
	expose) entry='"1/tcp"'; max=256 ;;	# ICC_MAX_PORTS
	links) entry='"srv:a"'; max=256 ;;	# ICC_MAX_LINKS
	env) entry='"A=1"'; max=256 ;;		# ICC_MAX_ENV
	esac
	f=$ICC_TMP/huge-$field.json
	{
		printf '{"cmd":"start","name":"web","bridge":"br0","ip":"10.88.0.3","%s":[' "$field"
		for i in $(seq 1 $((max + 1))); do
			[ "$i" -eq 1 ] || printf ','
			printf '%s' "$entry"
		done
		printf ']}'
	} >"$f"
	raw "$((max + 1)) $field entries" "error:$field: more than $max entries" "framefile:$f"
done
# Close to ICC_REQ_MAX: 190,000 expose entries (about 1.5 MiB).
f=$ICC_TMP/huge-big.json
{
	printf '{"cmd":"start","name":"web","bridge":"br0","ip":"10.88.0.3","expose":['
	yes '"8080/tcp"' | head -n 190000 | paste -sd, -
	printf ']}'
} >"$f"
size=$(stat -c %s "$f")
[ "$size" -lt "$REQ_MAX" ] || fatal "the big request is $size bytes, over ICC_REQ_MAX"
raw "190000 expose entries in $size bytes" "error:expose: more than 256 entries" "framefile:$f"

# After all that: still serving, state and traffic as before.
expect_list "after the bad input" \
	"container web running bridge br0 ip 10.88.0.3 ip6 fd88::3" \
	"link web srv alias db active"
st=$(iccctl status --json | jq -r '"\(.matches) \(.missing) \(.extra)"')
if [ "$st" = "true 0 0" ]; then
	pass "status after the bad input: the table matches the model"
else
	fail "status after the bad input: matches, missing, extra = $st (expected true 0 0)"
fi
expect_tcp_ok web 10.88.0.2 8080
expect_tcp_fail srv 10.88.0.3 8080

finish
