#!/bin/bash
# t28-docker: icc-docker between a real Docker Engine and iccd.
#
# The test's own containerd and dockerd (Debian's docker.io) run in the
# fixture's host namespace, entered with nsenter --net (ip netns exec would
# hide the cgroup mounts), with private --data-root, --exec-root, socket,
# config file and --bip: Docker's iptables rules and docker0 live in that
# namespace only, nothing of the machine's is used or changed.  iccd runs
# in the same namespace, icc-docker follows the engine.  Docker's own ICC
# stays on, as the README says to run it: iccd closes the bridges.
#
#   - docker run --link db:aliasdb --name web: web reaches db:3306 (busybox
#     nc, and icc-probe), `other` does not, db cannot open a connection
#     back to web (not even from its exposed port);
#   - db restarted while `filler` takes its old address: the link follows
#     db to its new address, filler gets nothing of db's;
#   - docker rm -f: nothing of the containers stays in iccd;
#   - a user-defined bridge network with io.iccd.links labels; the same
#     label brought by an image is refused;
#   - /etc/hosts of web (legacy link) and app (label link): exactly one
#     line for the alias, iccd's, which follows the source's new address;
#   - icc-docker stopped while containers start and go: started again, it
#     reconciles; dockerd restarted: icc-docker reconnects and reconciles;
#     docker rename: the old name goes.
#
# Container namespaces are reached with `ip netns attach` (a name for the
# container's namespace), so lib.sh's traffic checks work on them.
# Needs dockerd, containerd, the docker client and busybox-static.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ICC_DOCKER_BIN=$ICC_BUILDDIR/src/docker/icc-docker
BUSYBOX=/bin/busybox
[ -x "$ICC_DOCKER_BIN" ] || fatal "$ICC_DOCKER_BIN is missing: build with make"
DOCKERD=$(command -v dockerd) ||
	fatal "dockerd not found (Debian package docker.io; contrib/quickstart.sh test installs it)"
CONTAINERD=$(command -v containerd) || fatal "containerd not found (Debian package containerd)"
# The client that came with this dockerd, not another one earlier in PATH.
DOCKER=$(dirname "$DOCKERD")/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker) || fatal "the docker client is missing"
command -v nsenter >/dev/null 2>&1 || fatal "nsenter not found (util-linux)"
command -v jq >/dev/null 2>&1 || fatal "jq not found"
[ -x "$BUSYBOX" ] || fatal "$BUSYBOX not found (Debian package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	fatal "$BUSYBOX is dynamically linked (install busybox-static)"
fi

DK=$ICC_TMP/docker		# everything of the engine's
DK_SOCK=$DK/docker.sock
CT_SOCK=$DK/containerd.sock
DK_PID=
CT_PID=
ICD_PID=
ICD_LOG=$ICC_TMP/icc-docker.log
IMAGE=t28-busybox
# How long an asynchronous change may take to show (s); nothing is
# asserted about the time it took.
WAIT=${ICC_DOCKER_WAIT:-60}

# ---- cleanup ----------------------------------------------------------------

# stop_pid PID: SIGTERM, then SIGKILL after 30 s; reaped.
stop_pid() {
	local i
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for i in $(seq 1 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# The engine's containers first (so that their runtime state goes), then
# icc-docker, dockerd and containerd; whatever they left mounted under
# $DK is unmounted before lib.sh removes $ICC_TMP.
t28_cleanup() {
	local rc=$? m
	if [ -n "$DK_PID" ] && kill -0 "$DK_PID" 2>/dev/null; then
		# shellcheck disable=SC2046 # one id per word
		dk rm -f $(dk ps -aq) >/dev/null 2>&1
	fi
	if [ "$rc" -ne 0 ] && [ -s "$ICD_LOG" ]; then
		echo "---- icc-docker log (last 40 lines) ----"
		tail -n 40 "$ICD_LOG"
	fi
	stop_pid "$ICD_PID"
	stop_pid "$DK_PID"
	stop_pid "$CT_PID"
	if [ "$rc" -ne 0 ] && [ -s "$DK/dockerd.log" ]; then
		echo "---- dockerd log (last 20 lines) ----"
		tail -n 20 "$DK/dockerd.log"
	fi
	awk -v d="$DK" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	(exit "$rc")
	icc_cleanup
}
trap t28_cleanup EXIT

# ---- the engine ------------------------------------------------------------

# dk ARGS...: the docker client on this run's engine.
dk() { timeout 120 "$DOCKER" -H "unix://$DK_SOCK" "$@"; }

start_engine() {
	local i
	mkdir -p "$DK/data" "$DK/exec" "$DK/containerd" "$DK/containerd-state" ||
		fatal "cannot create $DK"
	# containerd of our own: dockerd would otherwise use the machine's
	# (/run/containerd) when one runs.
	cat >"$DK/containerd.toml" <<EOF || fatal "cannot write containerd.toml"
version = 2
root = "$DK/containerd"
state = "$DK/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CT_SOCK"
EOF
	# daemon.json of our own: the machine's /etc/docker/daemon.json must
	# not apply, and the engine's key goes here, not to /etc/docker.
	printf '{"deprecated-key-path": "%s"}\n' "$DK/key.json" >"$DK/daemon.json" ||
		fatal "cannot write daemon.json"
	log "+ containerd, dockerd (host namespace, --bip 172.30.0.1/24)"
	# nsenter execs the program: $! is containerd (or dockerd) itself.
	nsenter --net="/run/netns/$HOST" "$CONTAINERD" --config "$DK/containerd.toml" >"$DK/containerd.log" 2>&1 &
	CT_PID=$!
	for i in $(seq 1 300); do
		[ -S "$CT_SOCK" ] && break
		kill -0 "$CT_PID" 2>/dev/null || fatal "containerd exited: $(tail -n 5 "$DK/containerd.log")"
		sleep 0.1
	done
	[ -S "$CT_SOCK" ] || fatal "containerd did not create $CT_SOCK within 30 s"
	start_dockerd
}

start_dockerd() {
	local i
	nsenter --net="/run/netns/$HOST" "$DOCKERD" --config-file "$DK/daemon.json" --data-root "$DK/data" \
		--exec-root "$DK/exec" -H "unix://$DK_SOCK" --pidfile "$DK/docker.pid" \
		--containerd "$CT_SOCK" --bip 172.30.0.1/24 >>"$DK/dockerd.log" 2>&1 &
	DK_PID=$!
	for i in $(seq 1 600); do
		dk version >/dev/null 2>&1 && return 0
		kill -0 "$DK_PID" 2>/dev/null || fatal "dockerd exited: $(tail -n 5 "$DK/dockerd.log")"
		sleep 0.1
	done
	fatal "dockerd did not answer within 60 s"
}

# make_image NAME [docker import --change ...]: the busybox image.
make_image() {
	local name=$1 root=$ICC_TMP/rootfs app
	shift
	if [ ! -d "$root" ]; then
		mkdir -p "$root/bin" "$root/etc" "$root/tmp" || fatal "cannot create $root"
		cp "$BUSYBOX" "$root/bin/busybox" || fatal "cannot copy busybox"
		for app in sh nc sleep cat echo timeout; do
			ln -s busybox "$root/bin/$app" || fatal "cannot link $app"
		done
	fi
	tar -C "$root" -cf - . | dk import "$@" - "$name" >/dev/null ||
		fatal "docker import $name failed"
}

# ---- icc-docker ----------------------------------------------------------

# start_icc_docker: icc-docker in the background (under memcheck with
# ICC_VALGRIND=1, as lib.sh runs iccd); returns once it has reconciled.
start_icc_docker() {
	local n i
	local -a wrap=()
	valgrind_wrap wrap icc-docker
	n=$(grep -c 'following events' "$ICD_LOG" 2>/dev/null)
	log "+ icc-docker --docker-host unix://\$DK_SOCK --socket \$ICC_SOCK"
	"${wrap[@]}" "$ICC_DOCKER_BIN" --docker-host "unix://$DK_SOCK" --socket "$ICC_SOCK" \
		--log-level debug >>"$ICD_LOG" 2>&1 &
	ICD_PID=$!
	for i in $(seq 1 $((WAIT * 10))); do
		[ "$(grep -c 'following events' "$ICD_LOG")" -gt "${n:-0}" ] && return 0
		kill -0 "$ICD_PID" 2>/dev/null || fatal "icc-docker exited: $(tail -n 5 "$ICD_LOG")"
		sleep 0.1
	done
	fatal "icc-docker did not reconcile within $WAIT s: $(tail -n 5 "$ICD_LOG")"
}

# stop_icc_docker: SIGTERM; it must exit 0 (99: memcheck found errors).
stop_icc_docker() {
	local pid=$ICD_PID rc=0
	ICD_PID=
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "icc-docker exited 0 on SIGTERM"
	else
		fail "icc-docker exited $rc on SIGTERM"
		cat "$ICC_TMP"/valgrind-icc-docker.* 2>/dev/null
	fi
}

# ---- containers ------------------------------------------------------------

# attach NAME: make container NAME one of lib.sh's: its namespace gets a
# name, its address an owner.
attach() {
	local name=$1 pid ip ns="$ICC_RUN-$1"
	pid=$(dk inspect -f '{{.State.Pid}}' "$name") || fatal "docker inspect $name failed"
	ip=$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name")
	if [ -z "$ip" ] || [ "$pid" -le 0 ]; then
		fatal "$name has no pid or address ($pid, '$ip')"
	fi
	ip netns del "$ns" 2>/dev/null
	ICC_NETNS+=("$ns")
	ip netns attach "$ns" "$pid" || fatal "ip netns attach $ns $pid failed"
	ICC_NSOF[$name]=$ns
	ICC_IP4[$name]=$ip
	ICC_OWNER[$ip]=$name
}

# detach NAME: forget container NAME (it stopped or went).
detach() {
	local name=$1
	unset "ICC_OWNER[${ICC_IP4[$name]}]"
	unset "ICC_IP4[$name]" "ICC_NSOF[$name]"
	ip netns del "$ICC_RUN-$name" 2>/dev/null
	local k
	for k in "${!ICC_SERVERS[@]}"; do
		case $k in "$name "*) unset "ICC_SERVERS[$k]" ;; esac
	done
}

# run NAME DOCKER-RUN-ARGS... -- CMD...: docker run -d, then attach.
run() {
	local name=$1
	shift
	log "+ docker run -d --name $name $*"
	dk run -d --name "$name" "$@" >/dev/null || fatal "docker run $name failed"
	attach "$name"
}

# echo_server NAME: NAME runs NC_ECHO: its server stands in for lib.sh's
# on port 3306.
echo_server() {
	local i
	for i in $(seq 1 $((WAIT * 10))); do
		in_ctr "$1" "$ICC_PROBE" tcp 127.0.0.1 3306 --timeout 200 >/dev/null 2>&1 &&
			{ ICC_SERVERS["$1 tcp 3306"]=docker; return 0; }
		sleep 0.1
	done
	fatal "the busybox echo server of $1 never answered on port 3306"
}

# busybox nc as an echo server: it echoes the first line of a connection
# and closes it (as icc-probe's own server), so a client ends at once.
# shellcheck disable=SC2016 # expanded by the container's shell
NC_ECHO=(nc -ll -p 3306 -e sh -c 'read l; echo "$l"')

# expect_nc FROM ADDR PORT: inside container FROM (docker exec), busybox nc
# sends a line to ADDR:PORT and gets it back.  (timeout: a broken path
# must fail the check, not hang it.)
expect_nc() {
	local from=$1 addr=$2 port=$3 out
	out=$(dk exec "$from" sh -c "echo t28-$from | timeout $WAIT nc $addr $port" 2>&1)
	if [ "$out" = "t28-$from" ]; then
		pass "busybox nc in $from -> $addr:$port: echo came back"
		return 0
	fi
	fail "busybox nc in $from -> $addr:$port: expected the echo t28-$from, got '$out'"
	return 1
}

# wait_list WHAT LINE...: iccctl list comes to hold each LINE (checked,
# with lib.sh's report, when it does or after $WAIT s).
wait_list() {
	local what=$1 i out line ok
	shift
	for i in $(seq 1 $((WAIT * 10))); do
		out=$(iccctl list 2>/dev/null)
		ok=1
		for line in "$@"; do
			printf '%s\n' "$out" | grep -qxF -- "$line" || { ok=0; break; }
		done
		[ "$ok" -eq 1 ] && break
		sleep 0.1
	done
	expect_list "$what" "$@"
}

# wait_list_none WHAT REGEX: no line of iccctl list comes to match REGEX.
wait_list_none() {
	local i
	for i in $(seq 1 $((WAIT * 10))); do
		iccctl list 2>/dev/null | grep -qE -- "$2" || break
		sleep 0.1
	done
	expect_list_none "$1" "$2"
}

# wait_log WHAT REGEX [FROM]: icc-docker logs a line matching REGEX (at
# line FROM or later).
wait_log() {
	local i line
	for i in $(seq 1 $((WAIT * 10))); do
		line=$(tail -n +"${3:-1}" "$ICD_LOG" | grep -E -- "$2" | tail -n 1)
		if [ -n "$line" ]; then
			pass "$1: icc-docker logged: $line"
			return 0
		fi
		sleep 0.1
	done
	fail "$1: icc-docker logged no line matching '$2'"
}

# hosts_lines NAME ALIAS: the lines of container NAME's /etc/hosts (read
# with docker exec) whose first name is ALIAS.
hosts_lines() {
	dk exec "$1" cat /etc/hosts 2>/dev/null | awk -v a="$2" '$2 == a'
}

# hosts_one OUT IP: OUT is exactly one line, at address IP.
hosts_one() {
	[ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] &&
		[ "$(printf '%s\n' "$1" | awk '{ print $1 }')" = "$2" ]
}

# wait_hosts WHAT NAME ALIAS IP: NAME's /etc/hosts comes to hold exactly
# one line for ALIAS, at address IP (checked when it does, or after
# $WAIT * 10 tries).
wait_hosts() {
	local what=$1 name=$2 alias=$3 ip=$4 i out=
	for i in $(seq 1 $((WAIT * 10))); do
		out=$(hosts_lines "$name" "$alias")
		hosts_one "$out" "$ip" && break
		sleep 0.1
	done
	if hosts_one "$out" "$ip"; then
		pass "$what: $name's /etc/hosts: $out"
	else
		fail "$what: $name's /etc/hosts: expected one line '$ip $alias ...', got: ${out:-nothing}"
	fi
}

# ---- the world ---------------------------------------------------------------

# As the README says: docker0 closed by a rules file from iccd's start.
mkdir -p "$ICC_TMP/rules" || fatal "cannot create $ICC_TMP/rules"
echo 'bridge docker0 icc off' >"$ICC_TMP/rules/10-docker.rules" ||
	fatal "cannot write the rules file"
ICC_ICCD_ARGS+=(--rules-dir "$ICC_TMP/rules")
start_iccd
expect_list "docker0 closed before any container" "bridge docker0 icc off"
start_engine
make_image "$IMAGE"
# An image that tries to link its containers to db2 by itself.
make_image t28-evil --change 'LABEL io.iccd.links=db2:pg'
start_icc_docker

# ---- legacy links on the default network ------------------------------------

# 5432 is exposed but unused: the source port of the reverse checks.
run db --expose 3306 --expose 5432 --expose 7000-7002/udp "$IMAGE" "${NC_ECHO[@]}"
echo_server db
run web --link db:aliasdb "$IMAGE" sleep 100000
run other "$IMAGE" sleep 100000
DB1=${ICC_IP4[db]}
WEB=${ICC_IP4[web]}
wait_list "declared by icc-docker" "bridge docker0 icc off" \
	"container db running bridge docker0 ip $DB1 expose 3306/tcp,5432/tcp,7000-7002/udp" \
	"container web running bridge docker0 ip $WEB" \
	"container other running bridge docker0 ip ${ICC_IP4[other]}" \
	"link web db alias aliasdb active"
expect_nc web "$DB1" 3306
expect_tcp_ok web "$DB1" 3306
expect_tcp_fail other "$DB1" 3306
# The source cannot open a connection back, not even from its port.
expect_tcp_fail db "$WEB" 8080
expect_tcp_fail db "$WEB" 8080 --sport 5432
expect_elems "link web -> db" links4 ranges4 <<EOF
links4 $WEB . $DB1 . tcp . 3306
links4 $WEB . $DB1 . tcp . 5432
ranges4 $WEB . $DB1 . udp . 7000-7002
EOF
# Docker wrote a line for aliasdb at create; iccd's replaces it.
wait_log "web's hosts file kept by iccd" "hosts file of web "
wait_hosts "legacy link's name" web aliasdb "$DB1"

# ---- db restarted at a new address, another container on the old one -----

log "+ docker stop db; docker run filler; docker start db"
dk stop -t 1 db >/dev/null || fatal "docker stop db failed"
detach db
wait_list "db stopped" "container db stopped bridge docker0 ip $DB1 expose 3306/tcp,5432/tcp,7000-7002/udp"
run filler "$IMAGE" "${NC_ECHO[@]}"
echo_server filler
dk start db >/dev/null || fatal "docker start db failed"
attach db
echo_server db
DB2=${ICC_IP4[db]}
if [ "${ICC_IP4[filler]}" = "$DB1" ] && [ "$DB2" != "$DB1" ]; then
	pass "filler holds db's old address $DB1, db came back at $DB2"
else
	fail "expected filler at db's old address $DB1 and db elsewhere; got filler ${ICC_IP4[filler]}, db $DB2"
fi
wait_list "db followed to its new address" \
	"container db running bridge docker0 ip $DB2 expose 3306/tcp,5432/tcp,7000-7002/udp" \
	"container filler running bridge docker0 ip $DB1" \
	"link web db alias aliasdb active" \
	"  allow $WEB . $DB2 . tcp . 3306"
expect_nc web "$DB2" 3306
expect_tcp_ok web "$DB2" 3306
expect_tcp_fail web "$DB1" 3306
expect_elems "link follows db" links4 ranges4 <<EOF
links4 $WEB . $DB2 . tcp . 3306
links4 $WEB . $DB2 . tcp . 5432
ranges4 $WEB . $DB2 . udp . 7000-7002
EOF
wait_hosts "legacy link's name follows db" web aliasdb "$DB2"

# ---- docker rm -f leaves nothing ---------------------------------------------

log "+ docker rm -f db web other filler"
dk rm -f db web other filler >/dev/null || fatal "docker rm -f failed"
for c in db web other filler; do detach "$c"; done
wait_list_none "after docker rm -f" '^(container|link) '
expect_no_elem_addr "after docker rm -f" "$DB1" "$DB2" "$WEB"
expect_kernel_is_model "after docker rm -f"

# ---- a user-defined network with io.iccd.links ------------------------------

log "+ docker network create t28net (bridge br-t28)"
dk network create -o com.docker.network.bridge.name=br-t28 t28net >/dev/null ||
	fatal "docker network create failed"
run db2 --network t28net --expose 3306 --expose 5432 "$IMAGE" "${NC_ECHO[@]}"
echo_server db2
run app --network t28net --label io.iccd.links=db2:pg "$IMAGE" sleep 100000
run stranger --network t28net "$IMAGE" sleep 100000
# The image's label is not the owner's: refused, app2 gets nothing.
run evil --network t28net t28-evil sleep 100000
DBN=${ICC_IP4[db2]}
wait_list "label links on t28net" "bridge br-t28 icc off" \
	"container db2 running bridge br-t28 ip $DBN expose 3306/tcp,5432/tcp" \
	"container app running bridge br-t28 ip ${ICC_IP4[app]}" \
	"link app db2 alias pg active"
wait_log "image label refused" "container evil .*io.iccd.links: set by the image"
expect_list_none "evil is not declared" '^container evil |^link evil '
expect_nc app "$DBN" 3306
expect_tcp_ok app "$DBN" 3306
expect_tcp_fail stranger "$DBN" 3306
expect_tcp_fail evil "$DBN" 3306
expect_tcp_fail db2 "${ICC_IP4[app]}" 8080 --sport 5432
# No line from Docker for a label link: iccd's is the only one, and it
# follows db2 to a new address (filler2 takes the old one).
wait_log "app's hosts file kept by iccd" "hosts file of app "
wait_hosts "label link's name" app pg "$DBN"
log "+ docker stop db2; docker run filler2; docker start db2"
dk stop -t 1 db2 >/dev/null || fatal "docker stop db2 failed"
detach db2
run filler2 --network t28net "$IMAGE" sleep 100000
dk start db2 >/dev/null || fatal "docker start db2 failed"
attach db2
echo_server db2
if [ "${ICC_IP4[filler2]}" = "$DBN" ] && [ "${ICC_IP4[db2]}" != "$DBN" ]; then
	pass "filler2 holds db2's old address $DBN, db2 came back at ${ICC_IP4[db2]}"
else
	fail "expected filler2 at db2's old address $DBN; got filler2 ${ICC_IP4[filler2]}, db2 ${ICC_IP4[db2]}"
fi
DBN=${ICC_IP4[db2]}
wait_hosts "label link's name follows db2" app pg "$DBN"
expect_tcp_ok app "$DBN" 3306

# ---- icc-docker down while containers start and go --------------------------

APP=${ICC_IP4[app]}
stop_icc_docker
log "+ (icc-docker stopped) docker run late; docker rm -f stranger; docker stop app"
run late --network t28net --label io.iccd.links=db2:pg "$IMAGE" sleep 100000
dk rm -f stranger >/dev/null || fatal "docker rm -f stranger failed"
detach stranger
dk stop -t 1 app >/dev/null || fatal "docker stop app failed"
detach app
# Not declared yet, on a closed bridge: late has no access at all.
expect_tcp_fail late "$DBN" 3306
# And one more starting while icc-docker starts.
log "+ docker run -d --name late2 ... while icc-docker starts"
dk run -d --name late2 --network t28net --label io.iccd.links=db2:pg "$IMAGE" \
	sleep 100000 >/dev/null &
late2=$!
start_icc_docker
wait "$late2" || fatal "docker run late2 failed"
attach late2
wait_list "started while icc-docker started" \
	"container late2 running bridge br-t28 ip ${ICC_IP4[late2]}" \
	"link late2 db2 alias pg active"
expect_tcp_ok late2 "$DBN" 3306
wait_list "reconciled after a restart of icc-docker" \
	"container late running bridge br-t28 ip ${ICC_IP4[late]}" \
	"link late db2 alias pg active"
expect_list "app stopped by the reconcile" \
	"container app stopped bridge br-t28 ip $APP"
expect_list_none "stranger removed by the reconcile" '^container stranger '
expect_tcp_ok late "$DBN" 3306

# ---- dockerd restarted -------------------------------------------------------

log "+ restart dockerd"
from=$(($(wc -l <"$ICD_LOG") + 1))
stop_pid "$DK_PID"
for c in db2 late late2 evil filler2; do detach "$c"; done
start_dockerd
wait_log "reconnected to the engine" "reconciled iccd with docker" "$from"
run back --network t28net "$IMAGE" sleep 100000
wait_list "declared after dockerd came back" \
	"container back running bridge br-t28 ip ${ICC_IP4[back]}"
wait_list_none "containers stopped with the engine" '^container (db2|late|late2|evil|filler2) running '
expect_list "db2 stopped, its declaration kept" \
	"container db2 stopped bridge br-t28 ip $DBN expose 3306/tcp,5432/tcp" \
	"link late db2 alias pg pending"
expect_kernel_is_model "after the engine's restart"

# ---- rename ----------------------------------------------------------------

log "+ docker rename back back2"
dk rename back back2 || fatal "docker rename failed"
wait_list "renamed" "container back2 running bridge br-t28 ip ${ICC_IP4[back]}"
wait_list_none "the old name is gone" '^container back '
stop_icc_docker

finish
