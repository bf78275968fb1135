#!/bin/bash
# t23-vlan: tagged frames do not get around a closed bridge.  Frames with
# an 802.1Q tag (the priority tag, VID 0, which a Linux container takes as
# untagged, and a VID), with an 802.1ad outer tag, and PPPoE session
# frames never reach the inet forward hook (bridge-nf-filter-vlan-tagged is
# 0), so iccd's bridge table drops them when they enter from a bound port
# or leave by one (rules/icc-bridge.nft).  Untagged linked traffic still
# passes, and a permitted untagged frame sent the same raw way arrives
# (the control that makes "no frame arrived" mean something).  And an
# unbound container cannot claim a bound one's address to the host with a
# priority-tagged (VID 0, or 802.1ad VID 0) ARP reply or NA.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2
add_container b 10.88.0.3 fd88::3
add_container c 10.88.0.4		# unbound: started without --port
start_iccd
# shellcheck disable=SC2046 # bind_args is two options and their values
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 80/tcp --link b $(bind_args a)
# shellcheck disable=SC2046
must start b --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 9998/udp --link a $(bind_args b)
must start c --bridge br0 --ip 10.88.0.4
expect_list "a and b bound, c not" "binding a bound port ${ICC_PORT[a]} mac ${ICC_MAC[a]}" \
	"binding b bound port ${ICC_PORT[b]} mac ${ICC_MAC[b]}" "binding c unbound"

# b's MAC is known to the bridge: frames to it are forwarded, not flooded.
expect_ping_ok b 10.88.0.1

udp_from() {	# udp_from NAME TOKEN DPORT [tag options]: a's or c's UDP to b
	local name=$1 token=$2 dport=$3
	shift 3
	raw_send "$name" --dst "${ICC_MAC[b]}" "$@" udp4 --saddr "${ICC_IP4[$name]}" \
		--daddr 10.88.0.3 --dport "$dport" --token "$token"
}

raw_recv_start b 1500 LINKED VID0 VID5 QINQ PPPOE CVID0 CQINQ
udp_from a LINKED 9998			# a may send to b's 9998/udp
udp_from a VID0 9999 --vlan 0		# nobody exposed 9999
udp_from a VID5 9999 --vlan 5
udp_from a QINQ 9999 --qinq 7 --vlan 5
raw_send a --dst "${ICC_MAC[b]}" pppoe --saddr 10.88.0.2 --daddr 10.88.0.3 \
	--dport 9999 --token PPPOE
udp_from c CVID0 9999 --vlan 0		# unbound sender, bound receiver
udp_from c CQINQ 9999 --qinq 7
raw_recv_result
res=$ICC_RECV_OUT
expect_arrived "untagged linked UDP a -> b:9998 (control)" "$res" LINKED
expect_not_arrived "802.1Q priority tag (VID 0) a -> b:9999" "$res" VID0
expect_not_arrived "802.1Q VID 5 a -> b:9999" "$res" VID5
expect_not_arrived "802.1ad + 802.1Q a -> b:9999" "$res" QINQ
expect_not_arrived "PPPoE session frame a -> b" "$res" PPPOE
expect_not_arrived "VID 0 from unbound c -> bound b" "$res" CVID0
expect_not_arrived "802.1ad from unbound c -> bound b" "$res" CQINQ

# Untagged traffic is judged as before: linked passes, the rest not.
expect_udp_fail a 10.88.0.3 9999
expect_tcp_ok b 10.88.0.2 80
expect_tcp_ok b fd88::2 80
expect_udp_ok a 10.88.0.3 9998
expect_tcp_fail c 10.88.0.2 80
expect_ping_ok a 10.88.0.1

# The kernel takes a tag off before the bridge sees the frame, and the
# host takes a priority-tagged (VID 0) frame for an untagged one: an
# unbound container must not claim a bound one's address that way.  The
# identity checks read the protocol under the tag (meta protocol).
BR=$(in_host cat /sys/class/net/br0/address)
# locktime 0: the host takes every update (else only one a second).
in_host sysctl -qw net.ipv4.neigh.br0.locktime=0 net.ipv6.neigh.br0.locktime=0
in_host ping -c1 -W1 10.88.0.3 >/dev/null
in_host ping -c1 -W1 fd88::3 >/dev/null
in_host ping -c1 -W1 10.88.0.4 >/dev/null
host_maps() {	# host_maps WHAT ADDR: the host's entry for ADDR is b's MAC
	local out
	out=$(in_host ip neigh show "$2" dev br0)
	if printf '%s\n' "$out" | grep -qi "lladdr ${ICC_MAC[b]}"; then
		pass "$1: host maps $2 to b's MAC: $out"
	else
		fail "$1: host's entry for $2 is not b's MAC: '${out:-none}'"
	fi
}
host_maps "before" 10.88.0.3
host_maps "before" fd88::3
raw_send c --dst "$BR" --vlan 0 arp --op reply --sha "${ICC_MAC[c]}" \
	--spa 10.88.0.3 --tha "$BR" --tpa 10.88.0.1
raw_send c --dst "$BR" --qinq 0 arp --op reply --sha "${ICC_MAC[c]}" \
	--spa 10.88.0.3 --tha "$BR" --tpa 10.88.0.1
raw_send c --dst "$BR" --vlan 0 na --saddr fd88::4 --daddr fd88::1 \
	--target fd88::3 --lladdr "${ICC_MAC[c]}"
host_maps "VID 0 ARP reply and NA from unbound c claiming b's addresses" 10.88.0.3
host_maps "VID 0 NA from unbound c claiming b's address" fd88::3
# The control: c's own address, moved the same way to another MAC, is.
raw_send c --dst "$BR" --vlan 0 arp --op reply --sha 02:00:00:00:0c:0c \
	--spa 10.88.0.4 --tha "$BR" --tpa 10.88.0.1
if in_host ip neigh show 10.88.0.4 dev br0 | grep -qi "lladdr 02:00:00:00:0c:0c"; then
	pass "VID 0 ARP reply from c for its own address reaches the host (control)"
else
	fail "VID 0 ARP reply from c for its own address: host has '$(in_host ip neigh show 10.88.0.4 dev br0)'"
fi

finish
