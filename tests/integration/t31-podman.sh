#!/bin/bash
# t31-podman: iccd under Podman, as a user runs it, with each network
# backend: netavark with contrib/oci/iccd-hook.json (the OCI hook), and
# CNI with contrib/cni/10-icc.conflist (the icc plugin) plus the hook for
# names and links.  Podman runs with private storage, run, hooks, network
# and temporary directories, inside the fixture's host namespace (entered
# with nsenter --net, which keeps the mounts and so the cgroups), where
# iccd runs.  For each backend:
#   - web, linked to db as aliasdb by annotations, reaches db:3306 by the
#     name aliasdb, which iccd wrote into web's /etc/hosts (the runtime's
#     file, bind-mounted); other, unlinked, is refused;
#   - db stopped, its address taken by another container, db started again
#     at a new address: the firewall and web's hosts line follow it;
#   - `podman run --rm` churn leaves nothing in `iccctl list` nor in the
#     state directory; a removed container leaves nothing either;
#   - a container whose command does not exist is not left running.
# Needs podman, netavark, runc, containernetworking-plugins, iptables and
# busybox-static (contrib/quickstart.sh's packages).
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOOK_BIN=$ICC_BUILDDIR/src/oci/icc-oci-hook
ICC_PLUGIN=$ICC_BUILDDIR/src/cni/icc
for bin in "$HOOK_BIN" "$ICC_PLUGIN"; do
	[ -x "$bin" ] || fatal "$bin is missing: build with make"
done
for tool in podman runc nsenter iptables; do
	command -v "$tool" >/dev/null 2>&1 ||
		fatal "$tool not found (Debian: podman, runc, util-linux, iptables)"
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || fatal "$BUSYBOX not found (Debian package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	fatal "$BUSYBOX is dynamically linked (install busybox-static)"
fi
CNI_PLUGINS=
for dir in ${ICC_CNI_PLUGINS:-} /usr/lib/cni /usr/libexec/cni /opt/cni/bin; do
	if [ -x "$dir/bridge" ] && [ -x "$dir/host-local" ]; then
		CNI_PLUGINS=$dir
		break
	fi
done
[ -n "$CNI_PLUGINS" ] ||
	fatal "the CNI plugins are missing (Debian: apt-get install containernetworking-plugins)"

TAB=$(printf '\t')
IMAGE=localhost/icc-busybox:t31
NC_ECHO=(nc -ll -p 3306 -e cat)
# The options every container needs on these machines (low hard limits,
# no pids controller to speak of).
RUN_OPTS=(--pids-limit 0 --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

# The Podman of the current backend: set by use_backend.
PM_DIR=
PM_BACKEND=
PM_NET=
PM_DIRS=()		# every private Podman tree, for the cleanup

# pm ARGS...: podman with this run's private directories, in the host
# namespace.  The timeout keeps a stuck podman from hanging make check.
pm() {
	CONTAINERS_CONF=$PM_DIR/containers.conf \
		nsenter --net="/run/netns/$HOST" timeout 120 podman \
		--root "$PM_DIR/root" --runroot "$PM_DIR/runroot" \
		--tmpdir "$PM_DIR/tmp" --volumepath "$PM_DIR/volumes" \
		--hooks-dir "$PM_DIR/hooks" \
		--network-config-dir "$PM_DIR/net" \
		--network-backend "$PM_BACKEND" --storage-driver vfs \
		--runtime runc --cgroup-manager cgroupfs --events-backend file \
		"$@"
}

# pm_cleanup: every container of every private tree, then the trees.
# shellcheck disable=SC2317 # run by the EXIT trap
pm_cleanup() {
	local d
	for d in "${PM_DIRS[@]}"; do
		PM_DIR=$d PM_BACKEND=$(cat "$d/backend" 2>/dev/null || echo netavark)
		pm rm --all --force --time 0 >/dev/null 2>&1
		pm network prune --force >/dev/null 2>&1
		# Whatever Podman left mounted under the tree (shm, overlays).
		grep -F " $d/" /proc/self/mounts | awk '{ print $2 }' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$d"
	done
}
# shellcheck disable=SC2317 # the EXIT trap
t31_cleanup() {
	local rc=$?
	pm_cleanup
	(exit "$rc")
	icc_cleanup
}
trap t31_cleanup EXIT

# use_backend netavark|cni: a private Podman tree for that backend, the
# hook installed in its hooks dir, the image imported and the network made.
use_backend() {
	PM_BACKEND=$1
	PM_DIR=$ICC_TMP/podman-$1
	PM_NET=$ICC_RUN-$1
	PM_DIRS+=("$PM_DIR")
	mkdir -p "$PM_DIR"/{root,runroot,tmp,volumes,hooks,net,cni-bin,ipam} ||
		fatal "cannot create $PM_DIR"
	printf '%s\n' "$1" >"$PM_DIR/backend"
	# contrib/oci/iccd-hook.json, pointed at this build and this iccd.
	sed -e "s|\"path\": \"[^\"]*\"|\"path\": \"$HOOK_BIN\"|" \
		-e "s|\"args\": \[\"icc-oci-hook\"\]|\"args\": [\"icc-oci-hook\", \"--socket\", \"$ICC_SOCK\"]|" \
		"$ICC_SRCDIR/contrib/oci/iccd-hook.json" >"$PM_DIR/hooks/iccd-hook.json" ||
		fatal "cannot write the hook's json"
	if ! grep -qF "\"$HOOK_BIN\"" "$PM_DIR/hooks/iccd-hook.json" ||
		! grep -qF "\"$ICC_SOCK\"" "$PM_DIR/hooks/iccd-hook.json"; then
		fatal "the hook's json does not name this build and socket: $(cat "$PM_DIR/hooks/iccd-hook.json")"
	fi
	ln -s "$CNI_PLUGINS"/* "$ICC_PLUGIN" "$PM_DIR/cni-bin/" ||
		fatal "cannot link the CNI plugins"
	cat >"$PM_DIR/containers.conf" <<END
[network]
cni_plugin_dirs = ["$PM_DIR/cni-bin"]
END
	pm import "$ICC_TMP/busybox.tar" "$IMAGE" >/dev/null 2>"$ICC_TMP/pm.err" ||
		fatal "podman import: $(cat "$ICC_TMP/pm.err")"
	if [ "$1" = netavark ]; then
		pm network create --disable-dns --subnet "$SUBNET.0/24" "$PM_NET" \
			>/dev/null 2>"$ICC_TMP/pm.err" ||
			fatal "podman network create: $(cat "$ICC_TMP/pm.err")"
	else
		# contrib/cni/10-icc.conflist with this run's name, bridge,
		# subnet, IPAM store and iccd socket.
		sed -e "s|\"name\": \"icc\"|\"name\": \"$PM_NET\"|" \
			-e "s|\"bridge\": \"icc0\"|\"bridge\": \"icc1\"|" \
			-e "s|10\.89\.0\.|$SUBNET.|g" -e "s|fd89::|fd$SUBNET6::|g" \
			-e "s|\"type\": \"host-local\",|\"type\": \"host-local\", \"dataDir\": \"$PM_DIR/ipam\",|" \
			-e "s|\"type\": \"icc\",|\"type\": \"icc\", \"socket\": \"$ICC_SOCK\",|" \
			"$ICC_SRCDIR/contrib/cni/10-icc.conflist" >"$PM_DIR/net/$PM_NET.conflist" ||
			fatal "cannot write the conflist"
		grep -qF "\"$ICC_SOCK\"" "$PM_DIR/net/$PM_NET.conflist" ||
			fatal "the conflist does not name this socket"
	fi
}

# run_ctr NAME ANNOTATIONS... -- CMD...: podman run -d on this backend's
# network; the annotations as KEY=VALUE.  Returns podman's status.
run_ctr() {
	local name=$1 a
	local -a ann=()
	shift
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		ann+=(--annotation "$1")
		shift
	done
	shift
	log "+ podman run -d --name $name ${ann[*]} $IMAGE $*"
	pm run -d --name "$name" --network "$PM_NET" "${RUN_OPTS[@]}" "${ann[@]}" \
		"$IMAGE" "$@" >"$ICC_TMP/run-$name.log" 2>&1
	a=$?
	[ "$a" -eq 0 ] || sed 's/^/  | /' "$ICC_TMP/run-$name.log"
	return "$a"
}

# status_field KEY: a number from `iccctl status --json`.
status_field() {
	iccctl status --json | sed -n "s/^ *\"$1\": *\([0-9]*\),*$/\1/p"
}

ip_of() {
	pm inspect --format "{{(index .NetworkSettings.Networks \"$PM_NET\").IPAddress}}" "$1"
}
ip6_of() {
	pm inspect --format "{{(index .NetworkSettings.Networks \"$PM_NET\").GlobalIPv6Address}}" "$1"
}

# ctr_line NAME [REST]: NAME's line in `iccctl list` as running, from
# Podman's own view of its addresses.
ctr_line() {
	local v6
	v6=$(ip6_of "$1")
	printf 'container %s running bridge %s ip %s%s%s\n' "$1" "$BRIDGE" \
		"$(ip_of "$1")" "${v6:+ ip6 $v6}" "${2:+ $2}"
}

# hosts_want NAME: the lines iccd writes for a link to NAME as aliasdb:
# alias, hostname (config.json's, Podman's short id), name.
hosts_want() {
	local v6 h
	v6=$(ip6_of "$1")
	h=$(pm inspect --format '{{.Config.Hostname}}' "$1")
	printf '%s\taliasdb %s %s' "$(ip_of "$1")" "$h" "$1"
	[ -z "$v6" ] || printf '\n%s\taliasdb %s %s' "$v6" "$h" "$1"
}

# talk FROM HOST: send a line to HOST:3306 from container FROM; prints
# what came back (the echo server answers the same line).
talk() {
	pm exec "$1" sh -c "echo icc-$2 | nc -w 2 $2 3306" 2>/dev/null
}

expect_talk_ok() {
	local out
	out=$(talk "$1" "$2")
	if [ "$out" = "icc-$2" ]; then
		pass "$PM_BACKEND: $1 reaches $2:3306"
	else
		fail "$PM_BACKEND: $1 -> $2:3306: expected the echo, got '$out'"
	fi
}

expect_talk_fail() {
	local out
	out=$(talk "$1" "$2")
	if [ -z "$out" ]; then
		pass "$PM_BACKEND: $1 cannot reach $2:3306"
	else
		fail "$PM_BACKEND: $1 -> $2:3306: expected no answer, got '$out'"
	fi
}

# expect_hosts CTR WANT: the lines iccd owns in CTR's /etc/hosts (as the
# container reads it) are exactly WANT.
expect_hosts() {
	local ctr=$1 want=$2 out
	out=$(pm exec "$ctr" cat /etc/hosts 2>&1 | grep -E "${TAB}aliasdb( |\$)")
	if [ "$out" = "$want" ]; then
		pass "$PM_BACKEND: $ctr's /etc/hosts: '$want'"
	else
		fail "$PM_BACKEND: $ctr's /etc/hosts: expected '$want', got '$out'"
		pm exec "$ctr" cat /etc/hosts 2>&1 | sed 's/^/  hosts| /'
	fi
}

# expect_gone WHAT NAME...: nothing of NAME in `iccctl list` (as a
# container) nor in the state directory.
expect_gone() {
	local what=$1 n files
	shift
	for n in "$@"; do
		expect_list_none "$PM_BACKEND: $what" "^container $n "
	done
	files=$(cd "$ICC_STATE/c" && ls)
	for n in "$@"; do
		if printf '%s\n' "$files" | grep -qxF "$n.json"; then
			fail "$PM_BACKEND: $what: $ICC_STATE/c/$n.json is still there"
		else
			pass "$PM_BACKEND: $what: no state file for $n"
		fi
	done
}

# ---- the image: busybox alone -------------------------------------------

mkdir -p "$ICC_TMP/img/bin" "$ICC_TMP/img/etc" || fatal "mkdir"
cp "$BUSYBOX" "$ICC_TMP/img/bin/busybox" || fatal "cannot copy busybox"
for c in sh nc sleep cat echo true env; do
	ln -s busybox "$ICC_TMP/img/bin/$c" || fatal "cannot link $c"
done
tar -C "$ICC_TMP/img" -cf "$ICC_TMP/busybox.tar" . || fatal "tar"

in_host sysctl -qw net.ipv4.ip_forward=1 >/dev/null
# A rules file declares envweb's link: it outlives the container.
RULES=$ICC_TMP/rules
if ! mkdir -p "$RULES" || ! chmod 755 "$RULES" ||
	! printf 'link envweb db:aliasdb\n' >"$RULES/10-t31.rules"; then
	fatal "cannot write the rules file"
fi
ICC_ICCD_ARGS=(--rules-dir "$RULES")
start_iccd

# ---- one backend ----------------------------------------------------------

scenario() {
	local db_ip old_ip new_ip i names=()

	run_ctr db io.iccd.name=db io.iccd.expose=3306/tcp -- "${NC_ECHO[@]}" ||
		fail "$PM_BACKEND: podman run db"
	run_ctr web io.iccd.name=web io.iccd.links=db:aliasdb -- sleep 3600 ||
		fail "$PM_BACKEND: podman run web"
	run_ctr other io.iccd.name=other -- sleep 3600 ||
		fail "$PM_BACKEND: podman run other"
	db_ip=$(ip_of db)
	expect_list "$PM_BACKEND: declared by the hook" \
		"$(ctr_line db expose\ 3306/tcp)" "$(ctr_line web)" \
		"link web db alias aliasdb active"
	expect_hosts web "$(hosts_want db)"

	# envweb's link is in a rules file (see below), so iccd knows it
	# before the container exists and `iccctl env` can give its
	# variables to --env-file (env cannot be added after create).
	iccctl env envweb >"$ICC_TMP/envweb.env" 2>&1 ||
		fail "$PM_BACKEND: iccctl env envweb: $(cat "$ICC_TMP/envweb.env")"
	log "+ podman run -d --name envweb --env-file envweb.env ..."
	pm run -d --name envweb --network "$PM_NET" "${RUN_OPTS[@]}" \
		--env-file "$ICC_TMP/envweb.env" --annotation io.iccd.name=envweb \
		--annotation io.iccd.links=db:aliasdb "$IMAGE" sleep 3600 \
		>/dev/null 2>"$ICC_TMP/pm.err" ||
		fail "$PM_BACKEND: podman run envweb: $(cat "$ICC_TMP/pm.err")"
	if pm exec envweb env | grep -qxF "ALIASDB_PORT=tcp://$db_ip:3306"; then
		pass "$PM_BACKEND: envweb has ALIASDB_PORT=tcp://$db_ip:3306 from --env-file"
	else
		fail "$PM_BACKEND: envweb's env lacks ALIASDB_PORT=tcp://$db_ip:3306: $(pm exec envweb env | tr '\n' ' ')"
	fi
	expect_talk_ok envweb aliasdb
	pm rm --force --time 0 envweb >/dev/null 2>&1 || fail "$PM_BACKEND: podman rm envweb"
	expect_list_none "$PM_BACKEND: envweb removed" "^container envweb running"
	expect_list "$PM_BACKEND: envweb removed: the rules file's link stays" \
		"link envweb db alias aliasdb pending from $RULES/10-t31.rules:1"
	expect_talk_ok web aliasdb
	expect_talk_ok web "$db_ip"
	expect_talk_fail other "$db_ip"

	# db stops; a squatter takes its address; db starts at a new one.
	log "+ podman stop db"
	pm stop --time 0 db >/dev/null 2>&1 || fail "$PM_BACKEND: podman stop db"
	expect_list_none "$PM_BACKEND: db stopped: forgotten until it starts" "^container db "
	expect_list "$PM_BACKEND: db stopped: web's link pending" \
		"link web db alias aliasdb pending"
	expect_hosts web ""
	old_ip=$db_ip
	log "+ podman run -d --name squat --ip $old_ip"
	pm run -d --name squat --network "$PM_NET" --ip "$old_ip" "${RUN_OPTS[@]}" \
		--annotation io.iccd.name=squat --annotation io.iccd.expose=3306/tcp \
		"$IMAGE" "${NC_ECHO[@]}" >/dev/null 2>"$ICC_TMP/pm.err" ||
		fail "$PM_BACKEND: podman run squat --ip $old_ip: $(cat "$ICC_TMP/pm.err")"
	log "+ podman start db"
	pm start db >/dev/null 2>"$ICC_TMP/pm.err" ||
		fail "$PM_BACKEND: podman start db: $(cat "$ICC_TMP/pm.err")"
	new_ip=$(ip_of db)
	if [ -n "$new_ip" ] && [ "$new_ip" != "$old_ip" ]; then
		pass "$PM_BACKEND: db restarted at $new_ip (was $old_ip)"
	else
		fail "$PM_BACKEND: db restarted at '$new_ip', expected a new address (was $old_ip)"
	fi
	expect_list "$PM_BACKEND: db back at its new address" \
		"$(ctr_line db expose\ 3306/tcp)" "$(ctr_line squat expose\ 3306/tcp)" \
		"link web db alias aliasdb active"
	expect_hosts web "$(hosts_want db)"
	expect_talk_ok web aliasdb
	expect_talk_fail web "$old_ip"

	# A command that does not exist: the container never runs.  The
	# createRuntime hook declared it and no poststop comes; its veth goes
	# with its network namespace, and iccd stops it itself.
	lost0=$(status_field ports_lost)
	log "+ podman run -d --name ghost ... /nosuchcmd"
	if pm run -d --name ghost --network "$PM_NET" "${RUN_OPTS[@]}" \
		--annotation io.iccd.name=ghost "$IMAGE" /nosuchcmd >/dev/null 2>&1; then
		fail "$PM_BACKEND: podman run /nosuchcmd succeeded"
	fi
	for i in $(seq 1 100); do
		iccctl list | grep -q "^container ghost running " || break
		sleep 0.1
	done
	expect_list_none "$PM_BACKEND: a container that never ran" "^container ghost running "
	lost1=$(status_field ports_lost)
	if [ "$lost1" -gt "$lost0" ]; then
		pass "$PM_BACKEND: status counts its lost port (ports_lost $lost0 -> $lost1)"
	else
		fail "$PM_BACKEND: ports_lost stayed $lost1"
	fi
	if grep -qE "ghost: its port [^ ]+ is gone \(its network namespace went away\): stopped" \
		"$ICC_ICCD_LOG"; then
		pass "$PM_BACKEND: iccd logged ghost's lost port"
	else
		fail "$PM_BACKEND: iccd's log lacks ghost's lost port"
	fi
	pm rm -f ghost >/dev/null 2>&1
	# No hook hears of that rm: iccd keeps ghost stopped, as iccctl stop.
	must rm ghost

	# run --rm churn.
	for i in $(seq 1 10); do
		names+=("churn$i")
		pm run --rm --name "churn$i" --network "$PM_NET" "${RUN_OPTS[@]}" \
			--annotation "io.iccd.name=churn$i" \
			--annotation io.iccd.links=db:aliasdb "$IMAGE" true \
			>/dev/null 2>"$ICC_TMP/pm.err" ||
			fail "$PM_BACKEND: podman run --rm churn$i: $(cat "$ICC_TMP/pm.err")"
	done
	expect_gone "after 10 podman run --rm" "${names[@]}"

	# Everything removed: nothing of the hook's containers is left.
	log "+ podman rm --force db web other squat"
	pm rm --force --time 0 db web other squat >/dev/null 2>&1 ||
		fail "$PM_BACKEND: podman rm"
	expect_gone "after podman rm" db web other squat
	expect_list_none "$PM_BACKEND: after podman rm" "^link web "
	# And the short ids the CNI plugin declared at ADD went at DEL.
	expect_list_none "$PM_BACKEND: after podman rm" "^container [0-9a-f]{12} "
}

SUBNET=10.89.0 SUBNET6=89 BRIDGE=podman1
use_backend netavark
scenario

SUBNET=10.90.0 SUBNET6=90 BRIDGE=icc1
use_backend cni
scenario

finish
