#!/bin/bash
# t10-host-untouched: iccd closes container-to-container traffic on br0
# only.  With icc off the containers still talk to the host (its bridge
# address) and the host to them, and traffic iccd does not manage passes:
# a second bridge br1 it never heard of, and routed traffic between br0
# and br1 through the host.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

add_bridge br1 10.89.0.1/24
add_container db 10.88.0.2
add_container web 10.88.0.3
add_container_on br1 c1 10.89.0.2
add_container_on br1 c2 10.89.0.3
# Routed traffic between the bridges goes through the host namespace.
in_host sysctl -qw net.ipv4.ip_forward=1 || fatal "cannot enable forwarding in the host namespace"
in_ctr db ip route add default via 10.88.0.1 || fatal "no default route in db"
in_ctr web ip route add default via 10.88.0.1 || fatal "no default route in web"
in_ctr c1 ip route add default via 10.89.0.1 || fatal "no default route in c1"
in_ctr c2 ip route add default via 10.89.0.1 || fatal "no default route in c2"

start_iccd
must start db --bridge br0 --ip 10.88.0.2
must start web --bridge br0 --ip 10.88.0.3
expect_list "icc off" "bridge br0 icc off"
# iccd does enforce on br0 ...
expect_tcp_fail web 10.88.0.2 80
expect_tcp_fail db 10.88.0.3 80

# ... but containers reach the host's bridge address ...
expect_tcp_ok db 10.88.0.1 8080
expect_udp_ok db 10.88.0.1 5353
expect_ping_ok db 10.88.0.1
expect_tcp_ok web 10.88.0.1 8080
# ... and the host reaches the containers.
expect_tcp_ok host 10.88.0.2 80
expect_udp_ok host 10.88.0.2 53
expect_ping_ok host 10.88.0.3

# br1 is not iccd's: its containers talk freely.
expect_tcp_ok c1 10.89.0.3 80
expect_udp_ok c2 10.89.0.2 53
expect_ping_ok c1 10.89.0.3

# Routed traffic br0 <-> br1 is not bridge-internal: untouched.
expect_tcp_ok db 10.89.0.2 80
expect_udp_ok db 10.89.0.2 53
expect_tcp_ok c1 10.88.0.2 80
expect_ping_ok c2 10.88.0.3

# Still closed inside br0 after all that.
expect_tcp_fail web 10.88.0.2 80
expect_elems "br1 never closed" closed <<<'closed "br0" . "br0"'

finish
