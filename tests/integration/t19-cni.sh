#!/bin/bash
# t19-cni: the icc CNI plugin chained after the real bridge and host-local
# plugins (Debian: containernetworking-plugins), all run as a runtime runs
# them (icc-cnirun, in the host namespace where iccd and br0 are):
# ADD declares each container to iccd from prevResult and the runtime's
# arguments, and passes the result through unchanged; the link then opens
# exactly db's exposed port to web; CHECK passes, and fails when iccd's
# model or the kernel's table no longer match; DEL takes every element out,
# leaves a container that took the name over (after the old one stopped)
# alone, and can be repeated; a second container under a running name is
# refused; errors carry the spec's codes.  While another process owns the
# table (so that iccd can neither repair it nor change it), CHECK reports
# the drift and a request the kernel refuses leaves iccd's model as it was.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ICC_PLUGIN=$ICC_BUILDDIR/src/cni/icc
CNIRUN=$ICC_BUILDDIR/tests/integration/icc-cnirun
for bin in "$ICC_PLUGIN" "$CNIRUN"; do
	[ -x "$bin" ] || fatal "$bin is missing: build with make check"
done
# The reference plugins: $ICC_CNI_PLUGINS, or where distributions put them.
CNI_PLUGINS=
for dir in ${ICC_CNI_PLUGINS:-} /usr/lib/cni /usr/libexec/cni /opt/cni/bin; do
	if [ -x "$dir/bridge" ] && [ -x "$dir/host-local" ]; then
		CNI_PLUGINS=$dir
		break
	fi
done
[ -n "$CNI_PLUGINS" ] ||
	fatal "the CNI plugins bridge and host-local are missing (Debian: apt-get install containernetworking-plugins)"

# A bridge whose MAC the kernel chose takes the lowest MAC of its ports,
# so it changes as containers join, and the bridge plugin's CHECK then
# fails ("Bridge interface br0 Mac doesn't match"): give it its own.
in_host ip link set br0 address 02:00:0a:58:00:01 || fatal "cannot set the MAC of br0"

# CNI_PATH: exactly the three plugins of the list.
CNI_BIN=$ICC_TMP/cni-bin
mkdir -p "$CNI_BIN" "$ICC_TMP/ipam" || fatal "cannot create $CNI_BIN"
ln -s "$CNI_PLUGINS/bridge" "$CNI_PLUGINS/host-local" "$ICC_PLUGIN" "$CNI_BIN/" ||
	fatal "cannot link the plugins into $CNI_BIN"

# The list: contrib/cni/10-icc.conflist on this test's bridge, addresses,
# IPAM store and iccd socket.
NET=icc-t19
CONFLIST=$ICC_TMP/icc.conflist
cat >"$CONFLIST" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NET",
  "plugins": [
    {
      "type": "bridge", "bridge": "br0", "isGateway": true,
      "ipMasq": false, "hairpinMode": false,
      "ipam": {
        "type": "host-local", "dataDir": "$ICC_TMP/ipam",
        "ranges": [
          [ { "subnet": "10.88.0.0/24", "rangeStart": "10.88.0.100",
              "rangeEnd": "10.88.0.199", "gateway": "10.88.0.1" } ],
          [ { "subnet": "fd88::/64", "rangeStart": "fd88::100",
              "rangeEnd": "fd88::1ff", "gateway": "fd88::1" } ]
        ]
      }
    },
    { "type": "icc", "capabilities": { "icc": true }, "socket": "$ICC_SOCK" }
  ]
}
EOF
# The same network with icc alone, to hand icc a prevResult of our choice.
ICCONLY=$ICC_TMP/icc-only.conflist
cat >"$ICCONLY" <<EOF
{ "cniVersion": "1.0.0", "name": "$NET", "plugins": [
    { "type": "icc", "capabilities": { "icc": true }, "socket": "$ICC_SOCK" } ] }
EOF

# cni LIST CMD CTR ID CNI_ARGS CAP_ARGS [CACHE]: run LIST for container
# CTR (namespace $ICC_RUN-CTR, eth0) as a runtime does; the result cache
# is $ICC_TMP/cache-CTR unless given.  Sets CNI_OUT (stdout) and CNI_RC.
# CNI_IN: the command that puts the plugins in the host namespace.
CNI_IN=(ip netns exec "$HOST")
cni() {
	local list=$1 cmd=$2 ctr=$3 id=$4 args=$5 caps=$6
	local cache=${7:-$ICC_TMP/cache-$ctr}
	CNI_OUT=$("${CNI_IN[@]}" env CNI_CONTAINERID="$id" \
		CNI_NETNS="/run/netns/$ICC_RUN-$ctr" CNI_IFNAME=eth0 \
		CNI_PATH="$CNI_BIN" CNI_ARGS="$args" CAP_ARGS="$caps" \
		timeout 60 "$CNIRUN" "$cmd" "$list" "$cache" 2>"$ICC_TMP/cni.err")
	CNI_RC=$?
}

# result_addr 4|6 FILE: the address (without prefix) of that family in a
# result, or nothing.
result_addr() {
	grep -oE '"address": *"[^"]*"' "$2" | sed 's/.*"\([^"]*\)"$/\1/; s,/.*,,' |
		if [ "$1" = 6 ]; then grep ':'; else grep -v ':'; fi | head -n 1
}

declare -A CTR_ID=() CTR_ARGS=() CTR_CAPS=()

# add CTR ID CNI_ARGS CAP_ARGS: a new namespace, the whole list ADDed,
# the container's addresses recorded for the traffic checks.
add() {
	local ctr=$1 id=$2 ip4 ip6
	CTR_ID[$ctr]=$id
	CTR_ARGS[$ctr]=$3
	CTR_CAPS[$ctr]=$4
	new_netns "$ICC_RUN-$ctr"
	ICC_NSOF[$ctr]=$ICC_RUN-$ctr
	cni "$CONFLIST" ADD "$ctr" "$id" "$3" "$4"
	if [ "$CNI_RC" -ne 0 ]; then
		fail "ADD $ctr: exit $CNI_RC: $CNI_OUT $(cat "$ICC_TMP/cni.err")"
		finish
	fi
	ip4=$(result_addr 4 "$ICC_TMP/cache-$ctr")
	ip6=$(result_addr 6 "$ICC_TMP/cache-$ctr")
	[ -n "$ip4" ] && [ -n "$ip6" ] || fatal "ADD $ctr: no addresses in $CNI_OUT"
	ICC_IP4[$ctr]=$ip4
	ICC_IP6[$ctr]=$ip6
	ICC_OWNER[$ip4]=$ctr
	ICC_OWNER[$ip6]=$ctr
	pass "ADD $ctr: bridge and host-local gave $ip4 $ip6, icc accepted"
	# The list's result is the bridge plugin's, untouched by icc.
	if "$CNIRUN" equal "$ICC_TMP/cache-$ctr.0" "$ICC_TMP/cache-$ctr" 2>/dev/null; then
		pass "ADD $ctr: icc passed the bridge plugin's result through unchanged"
	else
		fail "ADD $ctr: icc's result differs from prevResult: $(cat "$ICC_TMP/cache-$ctr")"
	fi
}

# expect_cni_ok WHAT: the last cni call succeeded with no output.
expect_cni_ok() {
	if [ "$CNI_RC" -eq 0 ] && [ -z "$CNI_OUT" ]; then
		pass "$1: succeeded"
	else
		fail "$1: expected success without output; got exit $CNI_RC: $CNI_OUT $(cat "$ICC_TMP/cni.err")"
	fi
}

# expect_cni_error WHAT CODE TEXT: the last call failed with a CNI error
# object of that code whose details contain TEXT.
expect_cni_error() {
	local what=$1 code=$2 text=$3
	if [ "$CNI_RC" -ne 0 ] &&
		printf '%s' "$CNI_OUT" | grep -qF '"cniVersion":"1.0.0"' &&
		printf '%s' "$CNI_OUT" | grep -qF "\"code\":$code," &&
		printf '%s' "$CNI_OUT" | grep -qF -- "$text"; then
		pass "$what: CNI error $code: $CNI_OUT"
	else
		fail "$what: expected CNI error $code with '$text'; got exit $CNI_RC: $CNI_OUT"
	fi
}

# check CTR [LIST [CACHE]]: CHECK with CTR's own arguments.
check() {
	cni "${2:-$CONFLIST}" CHECK "$1" "${CTR_ID[$1]}" "${CTR_ARGS[$1]}" \
		"${CTR_CAPS[$1]}" "${3:-}"
}

del() {
	cni "$CONFLIST" DEL "$1" "${CTR_ID[$1]}" "${CTR_ARGS[$1]}" "${CTR_CAPS[$1]}"
}

# The drift cases put a copy of the table owned by another process in
# its place: iccd must not own it itself (on kernels before 6.9 it never
# does; t30 covers the owned table).
ICC_ICCD_ARGS=(--no-own-table)
start_iccd

# ---- VERSION and errors before anything exists --------------------------

out=$(printf '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$ICC_PLUGIN" 2>&1)
if [ "$out" = '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ]; then
	pass "VERSION: $out"
else
	fail "VERSION: got '$out'"
fi
if "$CNIRUN" equal "$ICC_SRCDIR/contrib/cni/10-icc.conflist" \
	"$ICC_SRCDIR/contrib/cni/10-icc.conflist" 2>/dev/null; then
	pass "contrib/cni/10-icc.conflist is JSON"
else
	fail "contrib/cni/10-icc.conflist is not JSON"
fi

# ---- ADD ----------------------------------------------------------------

DB_ID=db-$ICC_RUN
WEB_ID=web-$ICC_RUN
OTHER_ID=other-$ICC_RUN
ANON_ID=$(printf '%08x' "$$" "$RANDOM" 7 6 5 4 3 2)	# 64 hex, as Docker's
ANON=${ANON_ID:0:12}

add db "$DB_ID" "" '{"icc":{"name":"db","expose":["3306/tcp"]}}'
add web "$WEB_ID" "" '{"icc":{"name":"web","links":["db:aliasdb"]}}'
# The name from CNI_ARGS (the Go plugins need IgnoreUnknown for it) ...
add other "$OTHER_ID" "IgnoreUnknown=1;ICC_NAME=other" ""
# ... or, with no name given, from the container id (Docker's short id).
add anon "$ANON_ID" "" ""

DB4=${ICC_IP4[db]} DB6=${ICC_IP6[db]} WEB4=${ICC_IP4[web]} WEB6=${ICC_IP6[web]}
expect_list "after ADD" \
	"bridge br0 icc off" \
	"container db running bridge br0 ip $DB4 ip6 $DB6 expose 3306/tcp" \
	"container web running bridge br0 ip $WEB4 ip6 $WEB6" \
	"container other running bridge br0 ip ${ICC_IP4[other]} ip6 ${ICC_IP6[other]}" \
	"container $ANON running bridge br0 ip ${ICC_IP4[anon]} ip6 ${ICC_IP6[anon]}" \
	"link web db alias aliasdb active"
# icc binds each container to the host side of its veth, which the bridge
# plugin lists in prevResult, with the MAC of its eth0.
for ctr in db web other; do
	expect_bound "ADD" "$ctr"
done
json=$(iccctl list --json)
for ctr in db web other anon; do
	if printf '%s\n' "$json" | grep -qF "\"id\": \"${CTR_ID[$ctr]}\""; then
		pass "iccd knows $ctr by its CNI_CONTAINERID"
	else
		fail "iccd lacks the id ${CTR_ID[$ctr]} of $ctr"
	fi
done
expect_elems "after ADD" <<END
links4 $WEB4 . $DB4 . tcp . 3306
links6 $WEB6 . $DB6 . tcp . 3306
END

# ---- traffic -----------------------------------------------------------

expect_tcp_ok web "$DB4" 3306
expect_tcp_ok web "$DB6" 3306
expect_tcp_fail web "$DB4" 3307
expect_tcp_fail other "$DB4" 3306
expect_tcp_fail anon "$DB6" 3306
expect_tcp_fail db "$WEB4" 22
expect_tcp_fail db "$WEB4" 22 --sport 3306
expect_tcp_fail other "$WEB4" 22

# ---- CHECK -------------------------------------------------------------

for ctr in db web other anon; do
	check "$ctr"
	expect_cni_ok "CHECK $ctr"
done

# iccd's model no longer matches: web stopped behind the runtime's back.
must stop web
check web
expect_cni_error "CHECK web after iccctl stop web" 101 'running: iccd has \"web\" stopped'
must start web --bridge br0 --ip "$WEB4" --ip6 "$WEB6" --id "$WEB_ID" --link db:aliasdb
check web
expect_cni_ok "CHECK web after iccctl start web"

# prevResult names other addresses than iccd has (icc alone, db's
# arguments, web's result).
cp "$ICC_TMP/cache-web" "$ICC_TMP/swapped"
check db "$ICCONLY" "$ICC_TMP/swapped"
expect_cni_error "CHECK db with web's prevResult" 101 "ip: iccd has \\\"db\\\" at $DB4, prevResult at $WEB4"

# The kernel's table drifts: one element missing.  Deleted by hand, iccd
# would put it back before it answers CHECK (it reads nftables events
# before requests), so the drift must be one iccd cannot repair: the
# table is swapped, in one transaction, for a copy without the element
# owned by another process (nft -i, its socket kept open: flags owner),
# which refuses every change but its owner's.  The owner's exit takes the
# copy away, and iccd rebuilds its table.
OWN_FIFO=$ICC_TMP/owner.fifo
mkfifo "$OWN_FIFO" || fatal "mkfifo failed"
ip netns exec "$HOST" nft -i <"$OWN_FIFO" >"$ICC_TMP/owner.log" 2>&1 &
OWNER_PID=$!
ICC_PIDS+=("$OWNER_PID")
exec {OWN_FD}>"$OWN_FIFO"
{
	echo "delete table inet icc"
	nft_table_readable | grep -vxF "		elements = { $WEB4 . $DB4 . tcp . 3306 }" |
		sed '1a\	flags owner'
} >"$ICC_TMP/owned.nft" || fatal "cannot dump the table"
grep -qF "$WEB4 . $DB4" "$ICC_TMP/owned.nft" && fatal "the element is still in owned.nft"
echo "include \"$ICC_TMP/owned.nft\"" >&"$OWN_FD"
for i in $(seq 1 $((100 * ICC_SLOW))); do
	grep -q "repair of table inet icc .* failed" "$ICC_ICCD_LOG" && break
	sleep 0.05
done
if grep -q "repair of table inet icc .* failed" "$ICC_ICCD_LOG" &&
	in_host nft list table inet icc | grep -qx '	flags owner'; then
	pass "control: a copy without the element owns table inet icc; iccd's repair failed"
else
	fail "control: the owned copy did not take the table's place; the check is void:"
	sed 's/^/  nft -i| /' "$ICC_TMP/owner.log"
fi
check web
expect_cni_error "CHECK web with an element missing from the kernel" 101 \
	"table: inet icc differs from iccd's model: 1 elements missing, 0 extra"
expect_tcp_fail web "$DB4" 3306

# The kernel refuses iccd's batch: a request fails with the kernel's
# reason and changes nothing, in the model or (once the copy is gone) in
# the kernel.
before=$(iccctl list --json)
if out=$(iccctl link other db:x 2>&1); then
	fail "link while the kernel refuses every change: succeeded: $out"
else
	pass "link while the kernel refuses every change: refused: $out"
fi
same "refused link: the model is unchanged" "$before" "$(iccctl list --json)"
exec {OWN_FD}>&-
wait "$OWNER_PID"
for i in $(seq 1 $((100 * ICC_SLOW))); do
	[ "$(iccctl status --json | jq -r .matches)" = true ] && break
	sleep 0.05
done
expect_status_matches "after the owner went away"
expect_elems "after the owner went away: iccd's elements, no refused link" <<END
links4 $WEB4 . $DB4 . tcp . 3306
links6 $WEB6 . $DB6 . tcp . 3306
END
check web
expect_cni_ok "CHECK web with the table whole again"
expect_tcp_ok web "$DB4" 3306

# ---- errors ------------------------------------------------------------

# A bad option: the runtime's ADD fails with code 7 and iccd is untouched;
# the DEL a runtime then sends succeeds.
new_netns "$ICC_RUN-bad"
CTR_ID[bad]=bad-$ICC_RUN CTR_ARGS[bad]="" CTR_CAPS[bad]='{"icc":{"name":"bad","expose":["99999/tcp"]}}'
cni "$CONFLIST" ADD bad "${CTR_ID[bad]}" "" "${CTR_CAPS[bad]}"
expect_cni_error "ADD with expose 99999/tcp" 7 'runtimeConfig.icc.expose[0]: \"99999/tcp\": port out of range 1-65535'
expect_list_none "after the refused ADD" "^container bad "
del bad
expect_cni_ok "DEL after the refused ADD"

# iccd unreachable: 11, try again later.  icc alone, given db's result.
cni_direct() {
	ip netns exec "$HOST" env CNI_COMMAND="$1" CNI_CONTAINERID="$DB_ID" \
		CNI_NETNS="/run/netns/$ICC_RUN-db" CNI_IFNAME=eth0 \
		timeout 30 "$ICC_PLUGIN" 2>/dev/null
}
CNI_OUT=$(printf '{"cniVersion":"1.0.0","name":"%s","type":"icc","socket":"%s","prevResult":%s}' \
	"$NET" "$ICC_TMP/nosocket" "$(cat "$ICC_TMP/cache-db.0")" | cni_direct ADD)
CNI_RC=$?
expect_cni_error "ADD with iccd unreachable" 11 "cannot reach iccd at $ICC_TMP/nosocket"
CNI_OUT=$(printf '{"cniVersion":"1.0.0","name":"%s","type":"icc","sokcet":"/x","prevResult":%s}' \
	"$NET" "$(cat "$ICC_TMP/cache-db.0")" | cni_direct ADD)
CNI_RC=$?
expect_cni_error "ADD with an unknown key" 2 'sokcet: unsupported field (value \"/x\")'
CNI_OUT=$(printf '{"cniVersion":"0.3.1","name":"%s","type":"icc"}' "$NET" | cni_direct DEL)
CNI_RC=$?
if [ "$CNI_RC" -ne 0 ] && printf '%s' "$CNI_OUT" | grep -qF '"cniVersion":"0.3.1","code":1,'; then
	pass "DEL with cniVersion 0.3.1: error 1: $CNI_OUT"
else
	fail "DEL with cniVersion 0.3.1: expected error 1; got exit $CNI_RC: $CNI_OUT"
fi
CNI_OUT=$(printf '{"cniVersion":"1.0.0","name":"x","type":"icc"}' |
	ip netns exec "$HOST" env CNI_COMMAND=ADD CNI_IFNAME=eth0 CNI_NETNS=/x "$ICC_PLUGIN" 2>/dev/null)
CNI_RC=$?
expect_cni_error "ADD without CNI_CONTAINERID" 4 "CNI_CONTAINERID: missing or empty"
expect_list "after the errors" "link web db alias aliasdb active"

# ---- a /sys of another network namespace -------------------------------

# A runtime may run the plugins in the host namespace while its /sys is
# still the sysfs of another namespace (Podman's CNI backend did): what a
# bridge is must come from rtnetlink.  `ip netns exec` mounts the sysfs of
# the namespace it enters; nsenter --net then changes only the network
# namespace, keeping that mount.
new_netns "$ICC_RUN-sysfs"
CNI_IN=(ip netns exec "$ICC_RUN-sysfs" nsenter --net="/run/netns/$HOST")
if "${CNI_IN[@]}" test -e /sys/class/net/br0 ||
	! "${CNI_IN[@]}" ip link show br0 >/dev/null 2>&1; then
	fatal "the foreign /sys setup: br0 should be missing from /sys and present in rtnetlink"
fi
add alien "alien-$ICC_RUN" "" '{"icc":{"name":"alien"}}'
expect_list "ADD under a foreign /sys" "container alien running bridge br0 ip ${ICC_IP4[alien]} ip6 ${ICC_IP6[alien]}"
del alien
expect_cni_ok "DEL alien under a foreign /sys"
expect_list_none "DEL alien under a foreign /sys" "^container alien "
CNI_IN=(ip netns exec "$HOST")

# ---- DEL ---------------------------------------------------------------

# A newer container named db while db still runs (db's DEL was lost, the
# runtime reuses the name): iccd refuses to move a running name to another
# id, and the ADD fails with the reason; nothing changes.
new_netns "$ICC_RUN-dbx"
CTR_ID[dbx]=dbx-$ICC_RUN CTR_ARGS[dbx]="" CTR_CAPS[dbx]='{"icc":{"name":"db","expose":["3306/tcp"]}}'
before=$(kernel_elems)
cni "$CONFLIST" ADD dbx "${CTR_ID[dbx]}" "" "${CTR_CAPS[dbx]}"
expect_cni_error "ADD of a second db while db runs" 100 "db: runs as id $DB_ID (stop it first)"
same "the refused ADD changed no element" "$before" "$(kernel_elems)"
expect_list "the refused ADD left db as it was" \
	"container db running bridge br0 ip $DB4 ip6 $DB6 expose 3306/tcp"
del dbx
expect_cni_ok "DEL after the refused ADD"
# Once db is known stopped, the name goes to the newcomer; the old
# container's late DEL must then leave the newcomer alone.
must stop db
add db2 "db2-$ICC_RUN" "" '{"icc":{"name":"db","expose":["3306/tcp"]}}'
DB24=${ICC_IP4[db2]} DB26=${ICC_IP6[db2]}
expect_elems "db's name taken over by db2" <<END
links4 $WEB4 . $DB24 . tcp . 3306
links6 $WEB6 . $DB26 . tcp . 3306
END
del db
expect_cni_ok "DEL db after db2 took its name"
expect_list "late DEL of db" "container db running bridge br0 ip $DB24 ip6 $DB26 expose 3306/tcp"
expect_elems "late DEL of db" <<END
links4 $WEB4 . $DB24 . tcp . 3306
links6 $WEB6 . $DB26 . tcp . 3306
END

addrs=()
for ctr in db2 web other anon; do
	del "$ctr"
	expect_cni_ok "DEL $ctr"
	addrs+=("${ICC_IP4[$ctr]}" "${ICC_IP6[$ctr]}")
done
expect_no_elem_addr "after DEL" "${addrs[@]}" "$DB4" "$DB6"
expect_elems "after DEL" </dev/null
expect_list_none "after DEL" "^(container|link) "
# Again, now without a cached result (no prevResult): still success.
for ctr in db db2 dbx web other anon; do
	del "$ctr"
	expect_cni_ok "DEL $ctr again"
done
# The bridge plugin's DEL released the addresses too.
left=$(find "$ICC_TMP/ipam/$NET" -name '10.*' -o -name 'fd88*' 2>/dev/null)
if [ -z "$left" ]; then
	pass "host-local holds no address after DEL"
else
	fail "host-local still holds: $left"
fi

finish
