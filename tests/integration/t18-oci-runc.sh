#!/bin/bash
# t18-oci-runc: icc-oci-hook under a real OCI runtime.  runc runs busybox
# containers whose network namespaces sit on br0 (the bridge lives in the
# fixture's host namespace: io.iccd.host-netns), with the hooks of
# contrib/oci/runc-hooks.json.  The createRuntime hook alone declares them
# to iccd, with the addresses it finds in their namespaces: the link works,
# nothing else does.  runc delete runs the poststop hook: the elements go,
# iccd forgets the container the hook declared and the link turns pending;
# a new container of that name brings it back.
# A bind-mounted /etc/hosts gets db's lines, seen from inside (iccd writes
# in place); one behind a symbolic link is refused and runc does not start.
# A hook that cannot reach iccd, or meets a bad annotation, stops runc
# from starting the container; io.iccd.on-error=warn lets it start.
# Needs runc and a static busybox (Debian: runc, busybox-static).
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOOK_BIN=$ICC_BUILDDIR/src/oci/icc-oci-hook
BUSYBOX=/bin/busybox
[ -x "$HOOK_BIN" ] || fatal "$HOOK_BIN is missing: build with make"
command -v runc >/dev/null 2>&1 ||
	fatal "runc not found (Debian package runc)"
command -v nsenter >/dev/null 2>&1 || fatal "nsenter not found (util-linux)"
[ -x "$BUSYBOX" ] || fatal "$BUSYBOX not found (Debian package busybox-static)"
# The rootfs holds busybox alone: it must not need a dynamic loader.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	fatal "$BUSYBOX is dynamically linked (install busybox-static)"
fi

RUNC_ROOT=$ICC_TMP/runc		# runc's state, private to this run
ROOTFS=$ICC_TMP/rootfs
RUNC_IDS=()			# every container id this run used

# Delete our containers before lib.sh kills what is left in our
# namespaces: runc delete also removes their cgroups and runc state.
t18_cleanup() {
	local rc=$? id
	for id in "${RUNC_IDS[@]}"; do
		timeout 30 runc --root "$RUNC_ROOT" delete --force "$id" >/dev/null 2>&1
	done
	(exit "$rc")
	icc_cleanup
}
trap t18_cleanup EXIT

# ---- a busybox rootfs and bundles ------------------------------------------

mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/etc" ||
	fatal "cannot create $ROOTFS"
: >"$ROOTFS/etc/hosts" || fatal "cannot create $ROOTFS/etc/hosts"
cp "$BUSYBOX" "$ROOTFS/bin/busybox" || fatal "cannot copy busybox"
for app in sh sleep nc cat; do
	ln -s busybox "$ROOTFS/bin/$app" || fatal "cannot link $app"
done

# The hooks exactly as shipped, pointed at the built hook and this run's
# socket (a runtime gives a hook its "env" and nothing else).
HOOKS=$(sed -e '1d;$d' -e "s|\"path\": \"/usr/libexec/iccd/icc-oci-hook\",|\"path\": \"$HOOK_BIN\", \"env\": [\"ICCD_SOCKET=$ICC_SOCK\"],|" \
	"$ICC_SRCDIR/contrib/oci/runc-hooks.json") || fatal "cannot read contrib/oci/runc-hooks.json"
[ "$(printf '%s\n' "$HOOKS" | grep -c "ICCD_SOCKET=")" -eq 2 ] ||
	fatal "contrib/oci/runc-hooks.json: expected two hooks with path /usr/libexec/iccd/icc-oci-hook"

# bundle ID NETNS HOSTNAME ANNOTATIONS ARGS: a bundle for container ID in
# namespace NETNS; ANNOTATIONS and ARGS are JSON (object, array).
bundle() {
	local id=$1 ns=$2 host=$3 ann=$4 args=$5 dir=$ICC_TMP/bundle-$1
	mkdir -p "$dir" || fatal "cannot create $dir"
	cat >"$dir/config.json" <<END || fatal "cannot write $dir/config.json"
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": $args,
		"env": [ "PATH=/bin" ],
		"cwd": "/",
		"noNewPrivileges": true
	},
	"root": { "path": "$ROOTFS", "readonly": true },
	"hostname": "$host",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "mode=755", "size=1024k" ] }$EXTRA_MOUNTS
	],
	"annotations": $ann,
$HOOKS,
	"linux": {
		"namespaces": [
			{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" },
			{ "type": "mount" },
			{ "type": "network", "path": "/run/netns/$ns" }
		]
	}
}
END
	printf '%s\n' "$dir"
}

# More mounts for the next bundle (JSON, each entry after a comma).
EXTRA_MOUNTS=

# runc_run ID BUNDLE [nsenter ARGS...]: runc run --detach; output in
# $ICC_TMP/runc-ID.log (a file, never a pipe: the container keeps its
# stdio).  Returns runc's status.
runc_run() {
	local id=$1 dir=$2 rc
	shift 2
	RUNC_IDS+=("$id")
	log "+ runc run --detach $id"
	"$@" timeout 60 runc --root "$RUNC_ROOT" run --detach --bundle "$dir" "$id" \
		</dev/null >"$ICC_TMP/runc-$id.log" 2>&1
	rc=$?
	sed 's/^/  | /' "$ICC_TMP/runc-$id.log"
	return "$rc"
}

# runc_status ID: "running", "stopped", ... or "absent".
runc_status() {
	local out
	out=$(runc --root "$RUNC_ROOT" state "$1" 2>/dev/null) || { echo absent; return; }
	printf '%s\n' "$out" | sed -n 's/^ *"status": "\([a-z]*\)".*/\1/p'
}

# expect_running WHAT ID: runc ran ID and it runs.
expect_running() {
	local st
	st=$(runc_status "$2")
	if [ "$st" = running ]; then
		pass "$1: runc container $2 is running"
		return 0
	fi
	fail "$1: runc container $2 is $st, expected running"
	return 1
}

# wait_echo NAME PORT: the busybox echo server of container NAME answers.
wait_echo() {
	local i
	for i in $(seq 1 50); do
		in_ctr "$1" "$ICC_PROBE" tcp 127.0.0.1 "$2" --timeout 200 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fatal "the busybox echo server of $1 never answered on port $2"
}

# runc_server NAME ID BUNDLE: run container ID (busybox nc echo server on
# 3306) in NAME's namespace; its server stands in for lib.sh's.
runc_server() {
	runc_run "$2" "$3" || { fail "runc run $2: expected success"; return 1; }
	wait_echo "$1" 3306
	ICC_SERVERS["$1 tcp 3306"]=runc
}

NC_ECHO='["nc", "-ll", "-p", "3306", "-e", "cat"]'
SLEEP='["sleep", "3600"]'
HOSTNS=/run/netns/$HOST

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
add_container other 10.88.0.4
add_container late 10.88.0.5
start_iccd

# ---- start: the createRuntime hook declares each container ----------------

DB_ID=$ICC_RUN-db
DB_B=$(bundle "$DB_ID" "$(ns_of db)" dbhost "{
		\"io.iccd.name\": \"db\", \"io.iccd.expose\": \"3306/tcp\",
		\"io.iccd.env\": \"[\\\"MYSQL_ROOT_PASSWORD=a,b=c\\\"]\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$NC_ECHO")
runc_server db "$DB_ID" "$DB_B"

WEB_ID=$ICC_RUN-web
WEB_B=$(bundle "$WEB_ID" "$(ns_of web)" webhost "{
		\"io.iccd.name\": \"web\", \"io.iccd.links\": \"db:aliasdb\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
runc_run "$WEB_ID" "$WEB_B" || fail "runc run web: expected success"

# No io.iccd.name: the OCI id is the name.  No io.iccd.host-netns: runc,
# and so the hook, runs in the host namespace itself (nsenter --net keeps
# the mounts, so runc still finds its cgroups).
OTHER_ID=$ICC_RUN-other
OTHER_B=$(bundle "$OTHER_ID" "$(ns_of other)" otherhost "{}" "$SLEEP")
runc_run "$OTHER_ID" "$OTHER_B" nsenter --net="$HOSTNS" ||
	fail "runc run $OTHER_ID (in the host namespace): expected success"

expect_running "db" "$DB_ID"
expect_running "web" "$WEB_ID"
expect_running "other" "$OTHER_ID"

expect_list "declared by the hooks, addresses from the namespaces" \
	"bridge br0 icc off" \
	"container db running bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp" \
	"container web running bridge br0 ip 10.88.0.3 ip6 fd88::3" \
	"container $OTHER_ID running bridge br0 ip 10.88.0.4" \
	"link web db alias aliasdb active" \
	"  allow 10.88.0.3 . 10.88.0.2 . tcp . 3306" \
	"  allow fd88::3 . fd88::2 . tcp . 3306"
# The hook binds each container to its veth peer (rules/icc-bridge.nft).
expect_bound "createRuntime hook" db
expect_bound "createRuntime hook" web
expect_bound "createRuntime hook" "$OTHER_ID" other
expect_elems "web linked to db by annotations" <<'END'
links4 10.88.0.3 . 10.88.0.2 . tcp . 3306
links6 fd88::3 . fd88::2 . tcp . 3306
END

# The rest of the declaration: OCI id, config.json hostname, env.
json=$(iccctl list --json 2>&1)
for want in "\"id\": \"$DB_ID\"" "\"id\": \"$WEB_ID\"" "\"hostname\": \"dbhost\"" \
	"\"hostname\": \"webhost\"" "\"MYSQL_ROOT_PASSWORD=a,b=c\""; do
	if printf '%s\n' "$json" | grep -qF -- "$want"; then
		pass "iccctl list --json has $want"
	else
		fail "iccctl list --json lacks $want"
	fi
done
TAB=$(printf '\t')
want="10.88.0.2${TAB}aliasdb dbhost db
fd88::2${TAB}aliasdb dbhost db"
out=$(iccctl hosts web 2>&1)
if [ "$out" = "$want" ]; then
	pass "iccctl hosts web: db's lines carry the hostname from config.json"
else
	fail "iccctl hosts web: expected db's two lines with dbhost, got:"
	printf '%s\n' "$out" | sed 's/^/  hosts| /'
fi
out=$(iccctl env web 2>&1)
if printf '%s\n' "$out" | grep -qxF "ALIASDB_ENV_MYSQL_ROOT_PASSWORD=a,b=c" &&
	printf '%s\n' "$out" | grep -qxF "ALIASDB_PORT=tcp://10.88.0.2:3306"; then
	pass "iccctl env web: db's address and io.iccd.env reach the link env"
else
	fail "iccctl env web: expected ALIASDB_PORT and ALIASDB_ENV_MYSQL_ROOT_PASSWORD, got:"
	printf '%s\n' "$out" | sed 's/^/  env| /'
fi

# ---- traffic: the container's own server, across the closed bridge --------

expect_tcp_ok web 10.88.0.2 3306
expect_tcp_ok web fd88::2 3306
expect_tcp_fail other 10.88.0.2 3306
expect_tcp_fail db 10.88.0.3 8080
expect_tcp_fail db fd88::3 8080
expect_tcp_fail other 10.88.0.3 8080

# ---- stop: runc delete runs the poststop hook -----------------------------

log "+ runc kill $DB_ID KILL"
runc --root "$RUNC_ROOT" kill "$DB_ID" KILL || fail "runc kill $DB_ID failed"
for i in $(seq 1 50); do
	[ "$(runc_status "$DB_ID")" = stopped ] && break
	sleep 0.1
done
log "+ runc delete $DB_ID"
if out=$(timeout 60 runc --root "$RUNC_ROOT" delete "$DB_ID" 2>&1); then
	pass "runc delete $DB_ID: the poststop hook succeeded"
else
	fail "runc delete $DB_ID failed (poststop hook?): $out"
fi
[ "$(runc_status "$DB_ID")" = absent ] || fail "runc still knows $DB_ID after delete"
unset 'ICC_SERVERS[db tcp 3306]'

expect_elems "db deleted: no element left" </dev/null
expect_no_elem_addr "db deleted" 10.88.0.2 fd88::2
# The hook declared db (its OCI id): its poststop forgets it (a runtime
# runs poststop whether the container is then removed or not, so what the
# next createRuntime declares again is not kept); web's link stays.
expect_list_none "db deleted: forgotten" "^container db "
expect_list "db deleted: web's link kept, pending" \
	"link web db alias aliasdb pending"
# Something answers on db's address again (lib.sh's server, in db's
# namespace): web still cannot reach it.
expect_tcp_fail web 10.88.0.2 3306
expect_tcp_fail web fd88::2 3306

# A new container named db (another OCI id): the link is active again.
kill "${ICC_SERVERS[db tcp 3306]}" 2>/dev/null
wait "${ICC_SERVERS[db tcp 3306]}" 2>/dev/null
unset 'ICC_SERVERS[db tcp 3306]'
DB2_ID=$ICC_RUN-db2
DB2_B=$(bundle "$DB2_ID" "$(ns_of db)" dbhost "{
		\"io.iccd.name\": \"db\", \"io.iccd.expose\": \"3306/tcp\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$NC_ECHO")
runc_server db "$DB2_ID" "$DB2_B"
expect_list "db back under a new OCI id" \
	"container db running bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp" \
	"link web db alias aliasdb active"
expect_tcp_ok web 10.88.0.2 3306

# A late poststop of the first db (its OCI id) leaves the new db alone,
# and a poststop for a name iccd does not hold has nothing to do.
hook_stop_state() {
	printf '{"ociVersion": "1.0.2", "id": "%s", "status": "stopped", "annotations": {"io.iccd.name": "%s"}}' "$1" "$2" |
		ICCD_SOCKET=$ICC_SOCK timeout 20 "$HOOK_BIN" 2>&1
}
if out=$(hook_stop_state "$DB_ID" db) &&
	[ "$out" = "icc-oci-hook: db now belongs to container $DB2_ID: left alone" ]; then
	pass "late poststop of $DB_ID: exit 0, db left to $DB2_ID"
else
	fail "late poststop of $DB_ID: expected exit 0 and 'left alone', got: $out"
fi
expect_list "db untouched by the late poststop" \
	"container db running bridge br0 ip 10.88.0.2 ip6 fd88::2 expose 3306/tcp" \
	"link web db alias aliasdb active"
if out=$(hook_stop_state "$ICC_RUN-nosuch" nosuch) && [ -z "$out" ]; then
	pass "poststop of a name iccd does not hold: exit 0, silent"
else
	fail "poststop of a name iccd does not hold: expected silent exit 0, got: $out"
fi

# ---- failures: the hook stops runc, unless told to warn -------------------

BAD_ID=$ICC_RUN-bad
BAD_B=$(bundle "$BAD_ID" "$(ns_of late)" badhost "{
		\"io.iccd.name\": \"bad\", \"io.iccd.expose\": \"70000/tcp\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
if runc_run "$BAD_ID" "$BAD_B"; then
	fail "runc run with io.iccd.expose=70000/tcp: expected failure, got success"
elif grep -qF "icc-oci-hook: io.iccd.expose: 70000/tcp: port out of range 1-65535" \
	"$ICC_TMP/runc-$BAD_ID.log"; then
	pass "runc run with io.iccd.expose=70000/tcp fails with the hook's line"
else
	fail "runc run with a bad annotation failed without the hook's line"
fi
[ "$(runc_status "$BAD_ID")" != running ] ||
	fail "$BAD_ID runs although its hook failed"
expect_list_none "bad annotation: nothing declared" "^container bad "

# ---- the container's /etc/hosts: config.json's bind mount -----------------

# A runtime-made hosts file bind-mounted on /etc/hosts: iccd keeps db's
# lines in it, in place (the container sees them through the mount).
HL_ID=$ICC_RUN-hl
mkdir -p "$ICC_TMP/hl" "$ICC_TMP/hlink" || fatal "mkdir"
printf '127.0.0.1\tlocalhost\n' >"$ICC_TMP/hl/hosts" || fatal "cannot write hosts"
EXTRA_MOUNTS=", { \"destination\": \"/etc/hosts\", \"type\": \"bind\",
		  \"source\": \"$ICC_TMP/hl/hosts\", \"options\": [ \"bind\" ] }"
HL_B=$(bundle "$HL_ID" "$(ns_of late)" hlhost "{
		\"io.iccd.name\": \"hl\", \"io.iccd.links\": \"db:aliasdb\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
EXTRA_MOUNTS=
runc_run "$HL_ID" "$HL_B" || fail "runc run hl (/etc/hosts bind-mounted): expected success"
want="127.0.0.1${TAB}localhost
10.88.0.2${TAB}aliasdb dbhost db
fd88::2${TAB}aliasdb dbhost db"
out=$(runc --root "$RUNC_ROOT" exec "$HL_ID" cat /etc/hosts 2>&1)
if [ "$out" = "$want" ]; then
	pass "hl's /etc/hosts (as the container reads it) has db's lines"
else
	fail "hl's /etc/hosts: expected db's lines after localhost, got:"
	printf '%s\n' "$out" | sed 's/^/  hosts| /'
fi
runc --root "$RUNC_ROOT" kill "$HL_ID" KILL 2>/dev/null
for i in $(seq 1 50); do
	[ "$(runc_status "$HL_ID")" = stopped ] && break
	sleep 0.1
done
runc --root "$RUNC_ROOT" delete "$HL_ID" >/dev/null 2>&1 || fail "runc delete hl"
expect_list_none "hl deleted: forgotten" "^container hl "

# The same through a symbolic link: the hook refuses it (iccd would write
# as root), takes the declaration back and runc does not start.
ln -s "$ICC_TMP/hl/hosts" "$ICC_TMP/hlink/hosts" || fatal "ln"
HL2_ID=$ICC_RUN-hl2
EXTRA_MOUNTS=", { \"destination\": \"/etc/hosts\", \"type\": \"bind\",
		  \"source\": \"$ICC_TMP/hlink/hosts\", \"options\": [ \"bind\" ] }"
HL2_B=$(bundle "$HL2_ID" "$(ns_of late)" hlhost "{
		\"io.iccd.name\": \"hl\", \"io.iccd.links\": \"db:aliasdb\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
EXTRA_MOUNTS=
if runc_run "$HL2_ID" "$HL2_B"; then
	fail "runc run with /etc/hosts from a symbolic link: expected failure"
elif grep -qF "icc-oci-hook: hosts file $ICC_TMP/hlink/hosts: a symbolic link on the path" \
	"$ICC_TMP/runc-$HL2_ID.log"; then
	pass "a hosts file behind a symbolic link: the hook refuses it, runc fails"
else
	fail "runc run with /etc/hosts from a symbolic link failed without the hook's line"
fi
[ "$(runc_status "$HL2_ID")" != running ] || fail "$HL2_ID runs although its hook failed"
expect_list_none "hosts file refused: nothing declared" "^container hl "

stop_iccd
log "iccd stopped"
LATE_ID=$ICC_RUN-late
LATE_B=$(bundle "$LATE_ID" "$(ns_of late)" latehost "{
		\"io.iccd.name\": \"late\", \"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
if runc_run "$LATE_ID" "$LATE_B"; then
	fail "runc run with iccd down: expected failure, got success"
elif grep -qF "icc-oci-hook: cannot reach iccd at $ICC_SOCK" "$ICC_TMP/runc-$LATE_ID.log"; then
	pass "runc run with iccd down fails with the hook's line"
else
	fail "runc run with iccd down failed without the hook's line"
fi
st=$(runc_status "$LATE_ID")
if [ "$st" != running ]; then
	pass "iccd down: $LATE_ID does not run ($st)"
else
	fail "iccd down: $LATE_ID runs although its hook failed"
fi

WARN_ID=$ICC_RUN-warn
WARN_B=$(bundle "$WARN_ID" "$(ns_of late)" warnhost "{
		\"io.iccd.name\": \"late\", \"io.iccd.on-error\": \"warn\",
		\"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
if runc_run "$WARN_ID" "$WARN_B"; then
	pass "runc run with iccd down and io.iccd.on-error=warn succeeds"
else
	fail "runc run with iccd down and io.iccd.on-error=warn: expected success"
fi
expect_running "on-error=warn" "$WARN_ID"

# --warn-only does for every container what the annotation does for one:
# the hook alone, given late's bundle (no on-error annotation) and the
# state runc gives it, with the pid of a process in late's namespace.
wpid=$(runc --root "$RUNC_ROOT" state "$WARN_ID" | sed -n 's/^ *"pid": \([0-9]*\),$/\1/p')
[ -n "$wpid" ] || fatal "no pid in runc state $WARN_ID"
state=$(printf '{"ociVersion":"1.0.2","id":"%s","status":"creating","pid":%s,"bundle":"%s"}' \
	"$LATE_ID" "$wpid" "$LATE_B")
hook_direct() {
	out=$(printf '%s' "$state" | ICCD_SOCKET=$ICC_SOCK timeout 30 "$HOOK_BIN" "$@" 2>&1)
	rc=$?
}
hook_direct start
want="icc-oci-hook: cannot reach iccd at $ICC_SOCK"
if [ "$rc" -eq 1 ] && [ "${out#"$want"}" != "$out" ]; then
	pass "the hook alone with iccd down: exit 1: $out"
else
	fail "the hook alone with iccd down: expected exit 1 and '$want...'; got exit $rc: $out"
fi
hook_direct --warn-only start
want="icc-oci-hook: warning: cannot reach iccd at $ICC_SOCK"
if [ "$rc" -eq 0 ] && [ "${out#"$want"}" != "$out" ] &&
	[ "${out%" (on-error=warn: the container goes on without iccd)"}" != "$out" ]; then
	pass "the hook alone with iccd down and --warn-only: exit 0: $out"
else
	fail "the hook alone with iccd down and --warn-only: expected exit 0 and '$want...'; got exit $rc: $out"
fi
# And through runc: the shipped hooks with --warn-only added.
HOOKS=$(printf '%s\n' "$HOOKS" | sed 's/"args": \["icc-oci-hook", "start"\]/"args": ["icc-oci-hook", "--warn-only", "start"]/')
[ "$(printf '%s\n' "$HOOKS" | grep -c -- '--warn-only')" -eq 1 ] ||
	fatal "cannot add --warn-only to the createRuntime hook"
WO_ID=$ICC_RUN-wo
WO_B=$(bundle "$WO_ID" "$(ns_of late)" wohost "{
		\"io.iccd.name\": \"late\", \"io.iccd.host-netns\": \"$HOSTNS\" }" "$SLEEP")
if runc_run "$WO_ID" "$WO_B"; then
	pass "runc run with iccd down and the hook's --warn-only succeeds"
else
	fail "runc run with iccd down and the hook's --warn-only: expected success"
fi
expect_running "--warn-only" "$WO_ID"

finish
