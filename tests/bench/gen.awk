# gen.awk: the synthetic world of one benchmark size (tests/bench/bench.sh).
#
#   awk -v L=ELEMENTS -v dir=DIR -v table=NAME -v bridge=BR -f gen.awk
#
# L link elements (a multiple of 40): 100 sources s0..s99 at 10.96.0.1-100,
# each exposing 8001-8004/tcp, and L/40 receivers r0.. at 10.97.X.Y, each
# linked to 10 consecutive sources (aliases a0..a9).  Writes into DIR:
#
#   elems.txt       "RECV SRC PROTO PORT" per element (bench_floor load)
#   state/          iccd's state directory (src/state.h): bridges.json with
#                   BR closed, c/NAME.json per container
#   table.nft       iccd's table (rules/icc.nft) named NAME holding the same
#                   elements, for `nft -f`
#   rules.ipt       L Docker-style link rules (per element and port, one
#                   --dport rule and its stateless --sport twin) in chain
#                   BENCH, for iptables-restore --noflush
#   rules.nft       the same L rules in nft syntax, one per line
#
# Nothing here is random: every run and every tool sees the same world.

function ip_src(j)	{ return "10.96.0." (j + 1) }
function ip_recv(i)	{ return "10.97." int(i / 250) "." (i % 250 + 1) }

function write_state_file(name, ip, expose, links, seq,    f) {
	f = dir "/state/c/" name ".json"
	printf "{\"bridge\":\"%s\",\"env\":[],\"expose\":[%s],\"ip\":\"%s\"," \
	    "\"links\":[%s],\"name\":\"%s\",\"running\":true,\"seq\":%d}\n",
	    bridge, expose, ip, links, name, seq > f
	close(f)
}

function nft_layout_head(f) {
	print "table inet " table " {" > f
	print "\tset closed {\n\t\ttype ifname . ifname" > f
	print "\t\telements = { \"" bridge "\" . \"" bridge "\" }\n\t}" > f
	print "\tset links4 {" > f
	print "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service" > f
	print "\t\telements = {" > f
}

function nft_layout_tail(f) {
	print "\t\t}\n\t}" > f
	print "\tset ranges4 {" > f
	print "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service" > f
	print "\t\tflags interval\n\t}" > f
	print "\tset links6 {" > f
	print "\t\ttype ipv6_addr . ipv6_addr . inet_proto . inet_service\n\t}" > f
	print "\tset ranges6 {" > f
	print "\t\ttype ipv6_addr . ipv6_addr . inet_proto . inet_service" > f
	print "\t\tflags interval\n\t}" > f
	print "\tchain forward {" > f
	print "\t\ttype filter hook forward priority filter; policy accept;" > f
	print "\t\tiifname . oifname @closed jump isolate\n\t}" > f
	print "\tchain isolate {" > f
	print "\t\tct direction reply ip daddr . ip saddr . meta l4proto . th sport @links4 accept" > f
	print "\t\tip saddr . ip daddr . meta l4proto . th dport @links4 accept" > f
	print "\t\tct direction reply ip daddr . ip saddr . meta l4proto . th sport @ranges4 accept" > f
	print "\t\tip saddr . ip daddr . meta l4proto . th dport @ranges4 accept" > f
	print "\t\tct direction reply ip6 daddr . ip6 saddr . meta l4proto . th sport @links6 accept" > f
	print "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @links6 accept" > f
	print "\t\tct direction reply ip6 daddr . ip6 saddr . meta l4proto . th sport @ranges6 accept" > f
	print "\t\tip6 saddr . ip6 daddr . meta l4proto . th dport @ranges6 accept" > f
	print "\t\tct state related accept" > f
	print "\t\ticmpv6 type nd-neighbor-solicit accept" > f
	print "\t\ticmpv6 type nd-neighbor-advert accept" > f
	print "\t\tcounter drop\n\t}\n}" > f
	close(f)
}

# rule_pair: Docker's two link rules for one port (daemon/links.go).
function rule_pair(r, s, port, n) {
	if (n < L) {
		print "-A BENCH -s " r "/32 -d " s "/32 -i " bridge " -o " bridge \
		    " -p tcp -m tcp --dport " port " -j ACCEPT" > ipt
		print "iifname \"" bridge "\" oifname \"" bridge "\" ip saddr " r \
		    " ip daddr " s " tcp dport " port " accept" > rnft
	}
	if (n + 1 < L) {
		print "-A BENCH -s " s "/32 -d " r "/32 -i " bridge " -o " bridge \
		    " -p tcp -m tcp --sport " port " -j ACCEPT" > ipt
		print "iifname \"" bridge "\" oifname \"" bridge "\" ip saddr " s \
		    " ip daddr " r " tcp sport " port " accept" > rnft
	}
}

BEGIN {
	if (L < 40 || L % 40 != 0) {
		print "gen.awk: L must be a positive multiple of 40" > "/dev/stderr"
		exit 2
	}
	nsrc = 100
	nrecv = L / 40
	elems = dir "/elems.txt"
	tnft = dir "/table.nft"
	ipt = dir "/rules.ipt"
	rnft = dir "/rules.nft"
	print "{\"bridges\":[{\"icc\":false,\"name\":\"" bridge "\"}]}" \
	    > (dir "/state/bridges.json")
	close(dir "/state/bridges.json")
	seq = 0
	for (j = 0; j < nsrc; j++)
		write_state_file("s" j, ip_src(j),
		    "\"8001/tcp\",\"8002/tcp\",\"8003/tcp\",\"8004/tcp\"", "", ++seq)
	print "*filter\n:BENCH - [0:0]" > ipt
	nft_layout_head(tnft)
	n = 0
	nrules = 0
	for (i = 0; i < nrecv; i++) {
		links = ""
		for (k = 0; k < 10; k++) {
			j = (i + k) % nsrc
			links = links (k ? "," : "") "\"s" j ":a" k "\""
			for (p = 8001; p <= 8004; p++) {
				print ip_recv(i), ip_src(j), 6, p > elems
				printf "\t\t\t%s . %s . tcp . %d%s\n", ip_recv(i),
				    ip_src(j), p, (++n < L ? "," : "") > tnft
				rule_pair(ip_recv(i), ip_src(j), p, nrules)
				nrules += 2
			}
		}
		write_state_file("r" i, ip_recv(i), "", links, ++seq)
	}
	print "COMMIT" > ipt
	close(elems)
	close(ipt)
	close(rnft)
	nft_layout_tail(tnft)
}
