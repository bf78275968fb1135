#!/bin/bash
# t23-vlan: tagged frames do not get around a closed bridge.  Frames with
# an 802.1Q tag (the priority tag, VID 0, which a Linux container takes as
# untagged, and a VID), with an 802.1ad outer tag, and PPPoE session
# frames never reach the inet forward hook (bridge-nf-filter-vlan-tagged is
# 0), so iccd's bridge table drops them when they enter from a bound port
# or leave by one (rules/icc-bridge.nft).  Untagged linked traffic still
# passes, and a permitted untagged frame sent the same raw way arrives
# (the control that makes "no frame arrived" mean something).
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

finish
