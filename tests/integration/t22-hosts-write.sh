#!/bin/bash
# t22-hosts-write: `iccctl hosts NAME --write FILE` cannot be turned into
# a root file write (issue 9, finding 1).  iccd runs with --group GRP and
# --hosts-dir ALLOWED, in a private mount namespace in which a scratch file
# is bind-mounted over /etc/hosts (so a broken iccd could never touch the
# real one).  As a member of GRP (not root):
#   a symbolic link named hosts to a root-owned file: refused, target
#     byte for byte unchanged;
#   a FIFO named hosts and a symbolic link to /dev/zero: refused at once,
#     iccd answers the next request;
#   a file in a root-owned 0755 directory: refused (the member's rights);
#   a file the member owns: accepted, exactly the lines written;
#   that file later swapped for a symbolic link: the write fails once, is
#     logged, the registration dropped (no retry), the target unchanged;
#   a file under --hosts-dir: accepted (written as root beneath it).
# As root: a file under --hosts-dir is accepted; /etc/hosts is refused.
# A restart whose state file registers a path that now goes through a
# symbolic link drops that registration at load; the target is unchanged.
# Registrations from an older iccd's state (no "peer") are kept only
# beneath a --hosts-dir.  A uid but root keeps at most 64 registrations.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for tool in jq setpriv useradd userdel groupadd groupdel unshare mount mkfifo cmp; do
	command -v "$tool" >/dev/null 2>&1 || fatal "required tool '$tool' not found"
done

# ---- a temporary group and member, removed however the test ends ------------

GRP=${ICC_RUN}g
U_MEMBER=${ICC_RUN}m
MADE_USER=
MADE_GROUP=
# shellcheck disable=SC2317  # called from the EXIT trap
t22_cleanup() {
	if [ -n "$MADE_USER" ]; then
		userdel "$MADE_USER" >/dev/null 2>&1 || echo "cleanup: userdel $MADE_USER failed" >&2
	fi
	if [ -n "$MADE_GROUP" ]; then
		groupdel "$MADE_GROUP" >/dev/null 2>&1 || echo "cleanup: groupdel $MADE_GROUP failed" >&2
	fi
}
trap 'rc=$?; t22_cleanup; (exit $rc); icc_cleanup' EXIT
groupadd --system "$GRP" || fatal "groupadd $GRP failed"
MADE_GROUP=$GRP
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
	--gid nogroup --groups "$GRP" "$U_MEMBER" || fatal "useradd $U_MEMBER failed"
MADE_USER=$U_MEMBER

PUB=$ICC_TMP/pub
mkdir -m 0755 "$PUB" || fatal "mkdir $PUB"
chmod 0711 "$ICC_TMP" || fatal "chmod $ICC_TMP"
cp "$ICCCTL_BIN" "$PUB/iccctl" && chmod 0755 "$PUB/iccctl" || fatal "cannot copy iccctl"
ICC_SOCK=$PUB/sock

# as_member ARGS...: iccctl as the member, with exactly its groups.
as_member() {
	setpriv --reuid "$U_MEMBER" --regid "$(id -g "$U_MEMBER")" --init-groups \
		env ICCD_SOCKET="$ICC_SOCK" timeout 20 "$PUB/iccctl" "$@"
}

# member_dir NAME: a directory the member owns.
member_dir() {
	mkdir -m 0755 "$ICC_TMP/$1" && chown "$U_MEMBER" "$ICC_TMP/$1" ||
		fatal "cannot make $ICC_TMP/$1"
	printf '%s\n' "$ICC_TMP/$1"
}

# The scratch file iccd sees as /etc/hosts, and root-owned targets.
FAKE_ETC_HOSTS=$ICC_TMP/etc-hosts
printf '127.0.0.1\tlocalhost\n# fake /etc/hosts of t22\n' >"$FAKE_ETC_HOSTS"
cp "$FAKE_ETC_HOSTS" "$ICC_TMP/etc-hosts.orig"
REAL_ETC_HOSTS_SUM=$(sha256sum </etc/hosts)
ALLOWED=$ICC_TMP/allowed
mkdir -m 0755 "$ALLOWED" "$ALLOWED/c1" "$ALLOWED/c2" || fatal "mkdir $ALLOWED"
ROOTDIR=$ICC_TMP/rootdir	# root-owned 0755: the member may not write in it
mkdir -m 0755 "$ROOTDIR" || fatal "mkdir $ROOTDIR"
printf 'root:secret:0:0\nline two\n' >"$ROOTDIR/hosts"
printf 'auth sufficient pam_rootok.so\n' >"$ICC_TMP/victim"
chmod 0644 "$ROOTDIR/hosts" "$ICC_TMP/victim"
cp -p "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"
cp -p "$ICC_TMP/victim" "$ICC_TMP/victim.orig"

# start_iccd_private: iccd in its own mount namespace (the fake /etc/hosts
# bind-mounted over the real one) and the run's network namespace.
start_iccd_private() {
	local i
	local -a wrap=()
	mkdir -p "$ICC_STATE" || fatal "cannot create $ICC_STATE"
	log "+ iccd --foreground --group $GRP --hosts-dir $ALLOWED (private mount namespace)"
	valgrind_wrap wrap
	# unshare and bash exec in place: $! is iccd itself.
	unshare -m --propagation private bash -c '
		mount --bind "$1" /etc/hosts || exit 97
		shift
		exec "$@"' t22 "$FAKE_ETC_HOSTS" \
		ip netns exec "$HOST" "${wrap[@]}" "$ICCD_BIN" --foreground \
		--socket "$ICC_SOCK" --state-dir "$ICC_STATE" --group "$GRP" \
		--hosts-dir "$ALLOWED" >>"$ICC_ICCD_LOG" 2>&1 &
	ICC_ICCD_PID=$!
	for i in $(seq 1 300); do
		iccctl status >/dev/null 2>&1 && return 0
		kill -0 "$ICC_ICCD_PID" 2>/dev/null ||
			fatal "iccd exited at start: $(tail -n 5 "$ICC_ICCD_LOG")"
		sleep 0.1
	done
	fatal "iccd did not answer iccctl status within 30 s"
}

# refused WHAT WHY PATH: the member's hosts --write PATH fails with one
# line naming PATH and WHY.
refused() {
	local what=$1 why=$2 path=$3 out rc=0
	out=$(as_member hosts web --write "$path" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
		[[ "$out" == *"write: $path: $why"* ]]; then
		pass "$what: refused ($out)"
	else
		fail "$what: expected a one-line refusal '...write: $path: $why'; got exit $rc: $out"
	fi
}

# unchanged WHAT FILE ORIG: FILE is byte for byte ORIG.
unchanged() {
	if cmp -s "$2" "$3"; then
		pass "$1: $2 unchanged"
	else
		fail "$1: $2 was changed"
	fi
}

# answers WHAT: iccd still answers a request.
answers() {
	if out=$(iccctl list 2>&1) && grep -q '^container web running' <<<"$out"; then
		pass "$1: iccd answers the next request"
	else
		fail "$1: iccd does not answer: $out"
	fi
}

add_container db 10.88.0.2
add_container web 10.88.0.3
add_container api 10.88.0.4
start_iccd_private
TAB=$(printf '\t')
must start db --bridge br0 --ip 10.88.0.2 --expose 5432/tcp
must start web --bridge br0 --ip 10.88.0.3
must link web db

# ---- as the member ------------------------------------------------------------

M=$(member_dir m)
ln -s "$ICC_TMP/victim" "$M/hosts" && chown -h "$U_MEMBER" "$M/hosts"
refused "symlink named hosts to a root-owned file" "a symbolic link on the path" "$M/hosts"
unchanged "symlink" "$ICC_TMP/victim" "$ICC_TMP/victim.orig"

# A symbolic link on the way, not at the end.
ln -s "$ROOTDIR" "$M/via" && chown -h "$U_MEMBER" "$M/via"
refused "symlink in a middle component" "a symbolic link on the path" "$M/via/hosts"
unchanged "middle symlink" "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"

F=$(member_dir fifo)
mkfifo -m 0666 "$F/hosts" && chown "$U_MEMBER" "$F/hosts"
refused "FIFO named hosts" "not a regular file" "$F/hosts"
answers "after the FIFO"

Z=$(member_dir zero)
ln -s /dev/zero "$Z/hosts" && chown -h "$U_MEMBER" "$Z/hosts"
refused "symlink to /dev/zero" "a symbolic link on the path" "$Z/hosts"
answers "after /dev/zero"

refused "file in a root-owned 0755 directory" "Permission denied" "$ROOTDIR/hosts"
unchanged "root-owned directory" "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"

O=$(member_dir own)
printf '127.0.0.1\tlocalhost\n' >"$O/hosts" && chown "$U_MEMBER" "$O/hosts"
if out=$(as_member hosts web --write "$O/hosts" 2>&1); then
	pass "member's own file: accepted"
else
	fail "member's own file: refused: $out"
fi
same "member's own file: exact lines" "127.0.0.1${TAB}localhost
10.88.0.2${TAB}db" "$(cat "$O/hosts")"
same "member's own file: still the member's" "$U_MEMBER" "$(stat -c %U "$O/hosts")"

# Later swapped for a symbolic link: the next write fails once and the
# registration is gone (a further change writes nothing, logs nothing).
drops0=$(grep -c 'registration dropped' "$ICC_ICCD_LOG")
rm "$O/hosts" && ln -s "$ICC_TMP/victim" "$O/hosts" && chown -h "$U_MEMBER" "$O/hosts"
must start api --bridge br0 --ip 10.88.0.4 --expose 80/tcp
must link web api
unchanged "swapped for a symlink later" "$ICC_TMP/victim" "$ICC_TMP/victim.orig"
same "a failed later write is logged once and dropped" 1 \
	"$(($(grep -c 'registration dropped' "$ICC_ICCD_LOG") - drops0))"
must unlink web api
must link web api
unchanged "after the drop" "$ICC_TMP/victim" "$ICC_TMP/victim.orig"
same "a dropped registration is not retried" 1 \
	"$(($(grep -c 'registration dropped' "$ICC_ICCD_LOG") - drops0))"

# Under --hosts-dir the member's request is written as root.
if out=$(as_member hosts web --write "$ALLOWED/c2/hosts" 2>&1); then
	pass "member, file under --hosts-dir: accepted"
else
	fail "member, file under --hosts-dir: refused: $out"
fi
same "member, file under --hosts-dir: exact lines" "10.88.0.2${TAB}db
10.88.0.4${TAB}api" "$(cat "$ALLOWED/c2/hosts")"
refused "--hosts-dir then .. out of it" "leaves the allowed directory" "$ALLOWED/../rootdir/hosts"
unchanged "out of --hosts-dir" "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"

# ---- as root -----------------------------------------------------------------

printf '127.0.0.1\tlocalhost\n' >"$ALLOWED/c1/hosts"
if out=$(iccctl hosts web --write "$ALLOWED/c1/hosts" 2>&1); then
	pass "root, file under --hosts-dir: accepted"
else
	fail "root, file under --hosts-dir: refused: $out"
fi
same "root, file under --hosts-dir: exact lines" "127.0.0.1${TAB}localhost
10.88.0.2${TAB}db
10.88.0.4${TAB}api" "$(cat "$ALLOWED/c1/hosts")"

out=$(iccctl hosts web --write /etc/hosts 2>&1) && rc=0 || rc=$?
if [ "$rc" -ne 0 ] && [[ "$out" == *"write: /etc/hosts: the host's own hosts file"* ]]; then
	pass "root: /etc/hosts refused ($out)"
else
	fail "root: /etc/hosts: expected a refusal naming the host's own hosts file; got exit $rc: $out"
fi
unchanged "/etc/hosts as iccd sees it" "$FAKE_ETC_HOSTS" "$ICC_TMP/etc-hosts.orig"
same "the real /etc/hosts" "$REAL_ETC_HOSTS_SUM" "$(sha256sum </etc/hosts)"
answers "after /etc/hosts"

# ---- restart: a registration that no longer passes is dropped at load ---------

R=$(member_dir restart)
mkdir -m 0755 "$R/d" && chown "$U_MEMBER" "$R/d"
if out=$(as_member hosts web --write "$R/d/hosts" 2>&1); then
	pass "restart case: registered"
else
	fail "restart case: registration refused: $out"
fi
stop_iccd
same "restart case: the state file holds the peer" "$(id -u "$U_MEMBER") $R/d/hosts" \
	"$(jq -r '"\(.hosts.peer.uid) \(.hosts.path)"' "$ICC_STATE/c/web.json")"
mv "$R/d" "$R/d.old" && ln -s "$ROOTDIR" "$R/d" && chown -h "$U_MEMBER" "$R/d"
drops0=$(grep -c 'registration dropped' "$ICC_ICCD_LOG")
start_iccd_private
unchanged "restart through a symlink" "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"
if grep -q "hosts file $R/d/hosts of web: a symbolic link on the path.*registration dropped" "$ICC_ICCD_LOG"; then
	pass "restart: the registration was dropped at load, with a log line"
else
	fail "restart: no log line dropping $R/d/hosts"
fi
same "restart: the state file forgot it" "null" "$(jq -c .hosts "$ICC_STATE/c/web.json")"
must unlink web api
unchanged "a change after the restart" "$ROOTDIR/hosts" "$ICC_TMP/rootdir-hosts.orig"
same "restart: dropped once" 1 "$(($(grep -c 'registration dropped' "$ICC_ICCD_LOG") - drops0))"

# ---- state of an older iccd: registrations without "peer" -------------------
# Kept only beneath a --hosts-dir (written as root); any other is dropped.
stop_iccd
printf '127.0.0.1\tlocalhost\n' >"$ALLOWED/c1/hosts"
printf 'keep\n' >"$R/d.old/hosts" && chown "$U_MEMBER" "$R/d.old/hosts"
cp "$R/d.old/hosts" "$ICC_TMP/legacy.orig"
jq --arg p "$ALLOWED/c1/hosts" '.hosts = {path: $p, owned: []}' "$ICC_STATE/c/web.json" >"$ICC_TMP/w.json" &&
	mv "$ICC_TMP/w.json" "$ICC_STATE/c/web.json" || fatal "cannot edit web's state"
jq --arg p "$R/d.old/hosts" '.hosts = {path: $p, owned: []}' "$ICC_STATE/c/db.json" >"$ICC_TMP/d.json" &&
	mv "$ICC_TMP/d.json" "$ICC_STATE/c/db.json" || fatal "cannot edit db's state"
start_iccd_private
same "older state, under --hosts-dir: kept and written at load" "127.0.0.1${TAB}localhost
10.88.0.2${TAB}db" "$(cat "$ALLOWED/c1/hosts")"
unchanged "older state, elsewhere" "$R/d.old/hosts" "$ICC_TMP/legacy.orig"
if grep -q "hosts file $R/d.old/hosts of db: registered by an iccd that did not record who asked.*registration dropped" "$ICC_ICCD_LOG"; then
	pass "older state, elsewhere: dropped at load, with a log line"
else
	fail "older state, elsewhere: no log line dropping $R/d.old/hosts"
fi
same "older state: db's state file forgot it" "null" "$(jq -c .hosts "$ICC_STATE/c/db.json")"
must link web api
same "older state, under --hosts-dir: followed afterwards" "127.0.0.1${TAB}localhost
10.88.0.2${TAB}db
10.88.0.4${TAB}api" "$(cat "$ALLOWED/c1/hosts")"

# ---- at most 64 registrations per uid but root ------------------------------
# Each is rewritten on every change of a source it names: without a limit
# a member could keep iccd busy with many large files.
L=$(member_dir lim)
for i in $(seq 1 65); do
	must start "h$i" --bridge brlim --ip "10.89.0.$i"
	mkdir "$L/h$i" && : >"$L/h$i/hosts" && chown -R "$U_MEMBER" "$L/h$i"
done
nok=0
for i in $(seq 1 64); do
	as_member hosts "h$i" --write "$L/h$i/hosts" >/dev/null 2>&1 && nok=$((nok + 1))
done
same "limit: the member's first 64 registrations" 64 "$nok"
out=$(as_member hosts h65 --write "$L/h65/hosts" 2>&1) && rc=0 || rc=$?
want="hosts: uid $(id -u "$U_MEMBER") already keeps 64 hosts files written (the limit)"
if [ "$rc" -ne 0 ] && [[ "$out" == *"$want" ]] && [ "$(wc -l <<<"$out")" -eq 1 ]; then
	pass "limit: the 65th refused ($out)"
else
	fail "limit: expected the one line '$want'; got exit $rc: $out"
fi
same "limit: the refused file untouched" "" "$(cat "$L/h65/hosts")"
if out=$(as_member hosts h1 --write "$L/h1/hosts" 2>&1); then
	pass "limit: a registration replaced at the limit"
else
	fail "limit: replacing h1's registration refused: $out"
fi
printf '127.0.0.1\tlocalhost\n' >"$ALLOWED/c1/hosts"
if out=$(iccctl hosts h65 --write "$ALLOWED/c1/hosts" 2>&1); then
	pass "limit: root is not limited"
else
	fail "limit: root's registration refused: $out"
fi

finish
