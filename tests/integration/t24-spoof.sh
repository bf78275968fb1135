#!/bin/bash
# t24-spoof: a bound container cannot pass for another one.  Mallory (m),
# unlinked, with CAP_NET_RAW, tries what issue 9 found working: taking
# the linked receiver's IPv4 address and poisoning the source's ARP cache
# to get a TCP connection with the receiver's rights; UDP with a spoofed
# source address; frames with the receiver's MAC, to move it to its own
# port in the bridge's forwarding table; IPv6 neighbour solicitations and
# advertisements claiming the receiver's address.  Each must fail, while
# linked TCP, ARP and ND between the containers and traffic to the host's
# bridge address keep working.  Frames that must not arrive are counted on
# the victim's interface next to a permitted one sent the same way.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_container a 10.88.0.2 fd88::2	# the receiver: may reach s
add_container s 10.88.0.3 fd88::3	# the source
add_container m 10.88.0.4 fd88::4	# mallory
start_iccd
# shellcheck disable=SC2046 # bind_args is two options and their values
must start s --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --expose 80/tcp --expose 5353/udp $(bind_args s)
# shellcheck disable=SC2046
must start a --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --link s $(bind_args a)
# shellcheck disable=SC2046
must start m --bridge br0 --ip 10.88.0.4 --ip6 fd88::4 $(bind_args m)

MA=${ICC_MAC[a]} MS=${ICC_MAC[s]} MM=${ICC_MAC[m]}

# A port must be a port of the bridge: a wrong one would cut the
# container off.  Refused with the field named, nothing changes.
expect_refused() {	# expect_refused WHAT TEXT ARGS...
	local what=$1 text=$2 out
	shift 2
	if out=$(iccctl "$@" 2>&1); then
		fail "$what: expected a refusal, got success"
	elif printf '%s\n' "$out" | grep -qF -- "$text"; then
		pass "$what: $out"
	else
		fail "$what: expected '$text', got: $out"
	fi
}
expect_refused "no such port" "port: no interface v-nope" \
	start z --bridge br0 --ip 10.88.0.9 --port v-nope --mac 02:00:00:00:00:09
expect_refused "not a port of the bridge" "port: lo is not a port of br0" \
	start z --bridge br0 --ip 10.88.0.9 --port lo --mac 02:00:00:00:00:09
expect_refused "the bridge itself" "port: is the bridge itself" \
	start z --bridge br0 --ip 10.88.0.9 --port br0 --mac 02:00:00:00:00:09
expect_refused "a port without a MAC" "port: given without mac" \
	start z --bridge br0 --ip 10.88.0.9 --port v-a
expect_refused "a group MAC" "mac: a group (multicast) address" \
	start z --bridge br0 --ip 10.88.0.9 --port v-a --mac 33:33:00:00:00:01
expect_list_none "refused starts declare nothing" "^container z "
hexmac() { printf '%s' "$1" | tr -d :; }
hexip4() { printf '%02x' $(printf '%s' "$1" | tr . ' '); }

# ---- what must keep working ------------------------------------------------
expect_tcp_ok a 10.88.0.3 80
expect_tcp_ok a fd88::3 80
expect_tcp_fail m 10.88.0.3 80
expect_ping_ok a 10.88.0.1
expect_ping_ok a fd88::1
expect_ping_ok m 10.88.0.1
# ARP and ND between containers: resolved entries both ways.
if in_ctr s ip neigh show 10.88.0.2 dev eth0 | grep -q "lladdr $MA"; then
	pass "ARP: s resolved a's 10.88.0.2 to a's MAC"
else
	fail "ARP: s has no entry 10.88.0.2 -> $MA: $(in_ctr s ip neigh show dev eth0)"
fi
expect_neigh a fd88::3
expect_neigh s fd88::2

# ---- spoofed source UDP ----------------------------------------------------
# a may send to s's 5353/udp; m sends the same datagram as a.
raw_recv_start s 1500 LEGIT SPOOF4 SPOOF6 SPOOFMAC
raw_send a --dst "$MS" udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 --dport 5353 --token LEGIT
raw_send m --dst "$MS" udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 --dport 5353 --token SPOOF4
raw_send m --dst "$MS" udp6 --saddr fd88::2 --daddr fd88::3 --dport 5353 --token SPOOF6
# a's addresses and a's MAC too: all of a's identity, from m's port.
raw_send m --src "$MA" --dst "$MS" udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 \
	--dport 5353 --token SPOOFMAC
raw_recv_result
expect_arrived "a's own UDP to s:5353 (control)" "$ICC_RECV_OUT" LEGIT
expect_not_arrived "m's UDP to s:5353 from a's IPv4 address" "$ICC_RECV_OUT" SPOOF4
expect_not_arrived "m's UDP to s:5353 from a's IPv6 address" "$ICC_RECV_OUT" SPOOF6
expect_not_arrived "m's UDP to s:5353 from a's MAC and address" "$ICC_RECV_OUT" SPOOFMAC

# ---- MAC theft -------------------------------------------------------------
# The bridge learned a's MAC on a's port; m's frames with that source MAC
# (above, and these broadcasts) must not move it.
expect_ping_ok a 10.88.0.1
raw_send m --src "$MA" --count 5 udp4 --saddr 10.88.0.4 --daddr 10.88.0.255 \
	--dport 9 --token THEFT
fdb=$(in_host bridge fdb show br br0 | grep -i "^$MA ")
if printf '%s\n' "$fdb" | grep -q "dev ${ICC_PORT[a]} " &&
	! printf '%s\n' "$fdb" | grep -q "dev ${ICC_PORT[m]} "; then
	pass "MAC theft: a's MAC stays on ${ICC_PORT[a]}: $fdb"
else
	fail "MAC theft: a's MAC moved: '$fdb'"
fi

# ---- IPv4 address theft + ARP poisoning ------------------------------------
# m sends s ARP requests and replies saying 10.88.0.2 is at m's MAC.
raw_recv_start s 1500 "hex:$(hexmac "$MM")$(hexip4 10.88.0.2)" \
	"hex:$(hexmac "$MA")$(hexip4 10.88.0.2)"
raw_send m --dst ff:ff:ff:ff:ff:ff arp --op request --sha "$MM" --spa 10.88.0.2 \
	--tha 00:00:00:00:00:00 --tpa 10.88.0.3
raw_send m --dst "$MS" arp --op reply --sha "$MM" --spa 10.88.0.2 --tha "$MS" --tpa 10.88.0.3
raw_send a --dst "$MS" arp --op reply --sha "$MA" --spa 10.88.0.2 --tha "$MS" --tpa 10.88.0.3
raw_recv_result
expect_not_arrived "ARP from m claiming 10.88.0.2" "$ICC_RECV_OUT" \
	"hex:$(hexmac "$MM")$(hexip4 10.88.0.2)"
expect_arrived "ARP from a for its own 10.88.0.2 (control)" "$ICC_RECV_OUT" \
	"hex:$(hexmac "$MA")$(hexip4 10.88.0.2)"
# Now m takes the address itself and connects with a's rights.
in_ctr m ip addr del 10.88.0.4/24 dev eth0 || fatal "cannot remove m's address"
in_ctr m ip addr add 10.88.0.2/24 dev eth0 || fatal "cannot give m a's address"
expect_tcp_fail m 10.88.0.3 80
expect_udp_fail m 10.88.0.3 5353
if in_ctr s ip neigh show 10.88.0.2 dev eth0 | grep -qi "lladdr $MM"; then
	fail "ARP poisoning: s maps 10.88.0.2 to m's MAC: $(in_ctr s ip neigh show 10.88.0.2 dev eth0)"
else
	pass "ARP poisoning: s does not map 10.88.0.2 to m's MAC: $(in_ctr s ip neigh show 10.88.0.2 dev eth0)"
fi
in_ctr m ip addr del 10.88.0.2/24 dev eth0
in_ctr m ip addr add 10.88.0.4/24 dev eth0
expect_tcp_ok a 10.88.0.3 80

# ---- IPv6 neighbour discovery from a non-owner -----------------------------
# s has resolved fd88::2 to a's MAC (above).  m claims it: an unsolicited
# override NA from its own address, and an NS from a's address.
# An NA's target (fd88::2) and its first option (type 2, length 1, MAC).
FD88_2=fd880000000000000000000000000002
na_tok="hex:${FD88_2}0201$(hexmac "$MM")" na_ok="hex:${FD88_2}0201$(hexmac "$MA")"
raw_recv_start s 1500 "$na_tok" "hex:0101$(hexmac "$MM")" "$na_ok"
raw_send m --dst "$MS" na --saddr fd88::4 --daddr fd88::3 --target fd88::2 --lladdr "$MM"
raw_send m --dst "$MS" ns --saddr fd88::2 --daddr fd88::3 --target fd88::3 --lladdr "$MM"
raw_send a --dst "$MS" na --saddr fd88::2 --daddr fd88::3 --target fd88::2 --lladdr "$MA"
raw_recv_result
expect_arrived "NA from a for its own fd88::2 (control)" "$ICC_RECV_OUT" "$na_ok"
expect_not_arrived "NA from m for a's fd88::2" "$ICC_RECV_OUT" "$na_tok"
expect_not_arrived "NS from m with a's source fd88::2" "$ICC_RECV_OUT" "hex:0101$(hexmac "$MM")"
out=$(in_ctr s ip -6 neigh show fd88::2 dev eth0)
if printf '%s\n' "$out" | grep -qi "lladdr $MM"; then
	fail "ND: s maps fd88::2 to m's MAC: $out"
else
	pass "ND: s does not map fd88::2 to m's MAC: ${out:-no entry}"
fi
expect_tcp_ok a fd88::3 80
expect_neigh s fd88::2
# Duplicate address detection of a's address from m (source ::): a would
# give its address up.  m's ordinary solicitation for it still arrives.
ZERO16=00000000000000000000000000000000 FD88_4=fd880000000000000000000000000004
raw_recv_start a 1500 "hex:${ZERO16}${FD88_2}" "hex:${FD88_4}${FD88_2}"
raw_send m --dst "$MA" ns --saddr :: --daddr fd88::2 --target fd88::2 --lladdr "$MM"
raw_send m --dst "$MA" ns --saddr fd88::4 --daddr fd88::2 --target fd88::2 --lladdr "$MM"
raw_recv_result
expect_arrived "m's NS for a's fd88::2 from its own address (control)" "$ICC_RECV_OUT" \
	"hex:${FD88_4}${FD88_2}"
expect_not_arrived "m's duplicate address detection of a's fd88::2" "$ICC_RECV_OUT" \
	"hex:${ZERO16}${FD88_2}"

# ---- someone empties the bridge table --------------------------------------
# Owned (Linux 6.9+, like the inet table): the kernel refuses; else iccd
# repairs it.  Either way the bindings hold afterwards.
repairs() { iccctl status --json | jq -r .repairs; }
before=$(repairs)
if out=$(in_host nft flush set bridge icc portmac 2>&1); then
	for i in $(seq 1 300); do
		[ "$(repairs)" -gt "$before" ] && break
		sleep 0.1
	done
	if [ "$(repairs)" -gt "$before" ]; then
		pass "bridge table repaired after a flush: $(iccctl status --json | jq -r .last_repair_cause)"
	else
		fail "bridge table not repaired after a flush of portmac"
	fi
else
	pass "bridge table owned: a foreign flush fails: $(grep -m1 Error <<<"$out")"
fi
expect_status_matches "bridge table after the flush"
if in_host nft list set bridge icc portmac | grep -q "\"${ICC_PORT[a]}\" . $MA"; then
	pass "a's binding is in the kernel"
else
	fail "a's binding is missing from portmac"
fi
raw_recv_start s 1500 LEGIT2 SPOOF4B
raw_send a --dst "$MS" udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 --dport 5353 --token LEGIT2
raw_send m --dst "$MS" udp4 --saddr 10.88.0.2 --daddr 10.88.0.3 --dport 5353 --token SPOOF4B
raw_recv_result
expect_arrived "after the repair: a's UDP to s:5353 (control)" "$ICC_RECV_OUT" LEGIT2
expect_not_arrived "after the repair: m's UDP from a's address" "$ICC_RECV_OUT" SPOOF4B

# ---- bindings follow the model -----------------------------------------------
portmac() { in_host nft list set bridge icc portmac; }
must stop m
if portmac | grep -qi "$MM"; then
	fail "stop: m's binding is still in the kernel"
else
	pass "stop: m's binding left the kernel"
fi
# An address change moves the address binding in the same request.
# shellcheck disable=SC2046
must start m --bridge br0 --ip 10.88.0.5 --ip6 fd88::4 $(bind_args m)
if in_host nft list set bridge icc port4 | grep -q '"v-m" . 10.88.0.5' &&
	! in_host nft list set bridge icc addrs4 | grep -q '10.88.0.4'; then
	pass "IP change: m bound to 10.88.0.5, 10.88.0.4 no longer bound"
else
	fail "IP change: port4/addrs4 do not follow: $(in_host nft list set bridge icc port4)"
fi
# A restart keeps the bindings (state files hold port and mac).
stop_iccd
in_host nft delete table bridge icc || fatal "cannot delete the bridge table"
start_iccd
expect_list "after a restart" "binding a bound port ${ICC_PORT[a]} mac $MA"
if portmac | grep -qi "\"${ICC_PORT[a]}\" . $MA"; then
	pass "restart: a's binding is back in the kernel"
else
	fail "restart: a's binding is missing: $(portmac)"
fi

finish
