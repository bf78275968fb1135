#!/bin/bash
# t35-delivery: what a link allows reaches the container it names, and
# only that.  The inet table judges addresses; the bridge delivers by
# MAC: a sent its linked UDP to s's address with m's MAC (or the
# broadcast MAC) as the Ethernet destination, and m got it.  Out of a
# bound port the bridge table lets IP to its own addresses only
# (rules/icc-bridge.nft, chain out), neighbour discovery aside.  Linked
# traffic to s, and a's link to m sent the same raw way (the control),
# still arrive.  And ARP and neighbour discovery, which pass between
# containers no link joins, carry no bytes their receiver ignores
# (trailers, non-zero padding, reserved fields, more options: chains
# arpshape and ndshape), while the plain ones still pass.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2	# receiver, linked to s and m
add_container s 10.88.0.3 fd88::3	# source: 5353/udp
add_container m 10.88.0.4 fd88::4	# source: 7777/udp only
add_container u 10.88.0.5		# unbound
start_iccd
# shellcheck disable=SC2046 # bind_args is two options and their values
must start s --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 5353/udp $(bind_args s)
# shellcheck disable=SC2046
must start m --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 --expose 7777/udp $(bind_args m)
# shellcheck disable=SC2046
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --link s --link m $(bind_args a)
must start u --bridge br0 --ip 10.88.0.5
MM=${ICC_MAC[m]} MS=${ICC_MAC[s]}

to_m() {	# to_m DSTMAC KIND DADDR DPORT TOKEN: a's UDP, by m's port
	local saddr=10.88.0.2
	[ "$2" = udp6 ] && saddr=fd88::2
	raw_send a --dst "$1" "$2" --saddr "$saddr" --daddr "$3" --dport "$4" \
		--token "$5"
}
raw_recv_start m 1500 --in CTRL4 CTRL6 REDIR4 BCAST REDIR6 MCAST6
to_m "$MM" udp4 10.88.0.4 7777 CTRL4		# a may send to m's 7777
to_m "$MM" udp6 fd88::4 7777 CTRL6
to_m "$MM" udp4 10.88.0.3 5353 REDIR4		# to s's address, m's MAC
to_m ff:ff:ff:ff:ff:ff udp4 10.88.0.3 5353 BCAST
to_m "$MM" udp6 fd88::3 5353 REDIR6
to_m 33:33:00:00:00:01 udp6 fd88::3 5353 MCAST6
raw_recv_result
res=$ICC_RECV_OUT
expect_arrived "a -> m:7777 with m's MAC (control)" "$res" CTRL4
expect_arrived "a -> m:7777 over IPv6 with m's MAC (control)" "$res" CTRL6
expect_not_arrived "a's linked UDP to s's address with m's MAC" "$res" REDIR4
expect_not_arrived "a's linked UDP to s's address with the broadcast MAC" "$res" BCAST
expect_not_arrived "a's linked UDP to s's IPv6 address with m's MAC" "$res" REDIR6
expect_not_arrived "a's linked UDP to s's IPv6 address, all-nodes MAC" "$res" MCAST6

# ---- ARP and neighbour discovery as a channel: s and m share no link ----
T99=hex:fd880000000000000000000000000099	# fd88::99, an NS target
T98=hex:fd880000000000000000000000000098
arp_to_m() {	# arp_to_m FROM SPA TRAILER
	raw_send "$1" --dst "$MM" arp --op request --sha "${ICC_MAC[$1]}" \
		--spa "$2" --tha 00:00:00:00:00:00 --tpa 10.88.0.4 \
		${3:+--trailer "$3"}
}
raw_recv_start m 1500 --in "$T99" "$T98" \
	ARPTRAIL ARPLONGTRAIL0123456789ABCDEFGHIJ UNBOUNDPAD NSTRAIL NATRAIL \
	"hex:$(tr -d : <<<"$MS")0a580003"
arp_to_m s 10.88.0.3 ""				# control: plain, padded with zeros
arp_to_m s 10.88.0.3 ARPTRAIL			# in the padding
arp_to_m s 10.88.0.3 ARPLONGTRAIL0123456789ABCDEFGHIJ	# past it
arp_to_m u 10.88.0.5 UNBOUNDPAD			# unbound sender
raw_send s --dst "$MM" ns --saddr fd88::3 --daddr fd88::4 --target fd88::99 \
	--lladdr "$MS"					# control
raw_send s --dst "$MM" ns --saddr fd88::3 --daddr fd88::4 --target fd88::98 \
	--lladdr "$MS" --trailer NSTRAIL
raw_send s --dst "$MM" na --saddr fd88::3 --daddr fd88::4 --target fd88::3 \
	--lladdr "$MS" --trailer NATRAIL
raw_recv_result
res=$ICC_RECV_OUT
expect_arrived "plain ARP request s -> m (control)" "$res" "hex:$(tr -d : <<<"$MS")0a580003"
expect_arrived "plain NS s -> m (control)" "$res" "$T99"
expect_not_arrived "ARP s -> m with bytes in its padding" "$res" ARPTRAIL
expect_not_arrived "ARP s -> m with a trailer" "$res" ARPLONGTRAIL0123456789ABCDEFGHIJ
expect_not_arrived "ARP unbound u -> bound m with bytes in its padding" "$res" UNBOUNDPAD
expect_not_arrived "NS s -> m with a trailer" "$res" "$T98"
expect_not_arrived "NA s -> m with a trailer" "$res" NATRAIL

# Linked traffic and neighbour discovery as before.
expect_udp_ok a 10.88.0.3 5353
expect_udp_ok a fd88::3 5353
expect_udp_ok a 10.88.0.4 7777
expect_udp_fail a 10.88.0.4 5353
expect_neigh a fd88::3
expect_neigh s fd88::2

finish
