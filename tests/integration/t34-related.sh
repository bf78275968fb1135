#!/bin/bash
# t34-related: ICMP errors about a linked flow pass only between the two
# containers the link joins.  Conntrack ties an error to a flow by the
# header it quotes, whoever sends it, so `ct state related` alone let any
# container on the bridge send a's flow to s a port unreachable or a
# fragmentation needed (which sets a's path MTU to s).  s's own port
# unreachable (nothing listens on its 5353) still reaches a: the control
# (and m's errors are well formed: before the fix they reached a).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2	# receiver, linked to s
add_container s 10.88.0.3 fd88::3	# source: 5353/udp, nobody listens
add_container m 10.88.0.4 fd88::4	# bound, linked to nobody
start_iccd
# shellcheck disable=SC2046 # bind_args is two options and their values
must start s --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 5353/udp $(bind_args s)
# shellcheck disable=SC2046
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --link s $(bind_args a)
# shellcheck disable=SC2046
must start m --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 $(bind_args m)
MA=${ICC_MAC[a]} MS=${ICC_MAC[s]}
# Neighbour entries both ways, so that s's error goes out at once.
expect_ping_fail a 10.88.0.3
in_ctr s ping -c1 -W1 10.88.0.2 >/dev/null || true
in_ctr s ping -c1 -W1 fd88::2 >/dev/null || true

forged() {	# forged KIND SADDR DADDR INNER_S INNER_D TOKEN [--mtu N]
	local kind=$1 sa=$2 da=$3 isa=$4 ida=$5 token=$6
	shift 6
	raw_send m --dst "$MA" "$kind" --saddr "$sa" --daddr "$da" \
		--inner-saddr "$isa" --inner-daddr "$ida" --sport 40000 \
		--dport 5353 --token "$token" "$@"
}

raw_recv_start a 2000 --in FLOW4 FLOW6 MUNR4 MFRAG4 MUNR6 MBIG6
# a's datagrams to s:5353 (a linked flow); s answers port unreachable,
# quoting them (FLOW4, FLOW6 entering a).
raw_send a --dst "$MS" --count 1 udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 \
	--sport 40000 --dport 5353 --token FLOW4
raw_send a --dst "$MS" --count 1 udp6 --saddr fd88::2 --daddr fd88::3 \
	--sport 40000 --dport 5353 --token FLOW6
# m's errors quoting the same flows, to a.
forged icmp4err 10.88.0.4 10.88.0.2 10.88.0.2 10.88.0.3 MUNR4
forged icmp4err 10.88.0.4 10.88.0.2 10.88.0.2 10.88.0.3 MFRAG4 --mtu 1280
forged icmp6err fd88::4 fd88::2 fd88::2 fd88::3 MUNR6
forged icmp6err fd88::4 fd88::2 fd88::2 fd88::3 MBIG6 --mtu 1280
raw_recv_result
res=$ICC_RECV_OUT
expect_arrived "s's port unreachable about a -> s:5353 (IPv4)" "$res" FLOW4
expect_arrived "s's port unreachable about a -> s:5353 (IPv6)" "$res" FLOW6
expect_not_arrived "m's port unreachable about a -> s:5353 (IPv4)" "$res" MUNR4
expect_not_arrived "m's fragmentation needed about a -> s:5353" "$res" MFRAG4
expect_not_arrived "m's port unreachable about a -> s:5353 (IPv6)" "$res" MUNR6
expect_not_arrived "m's packet too big about a -> s:5353" "$res" MBIG6
# Linked traffic as before.
expect_udp_ok a 10.88.0.3 5353
expect_udp_ok a fd88::3 5353
expect_udp_fail m 10.88.0.3 5353

finish
