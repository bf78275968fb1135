#!/bin/bash
# t12-golden-table: the table iccd builds is exactly rules/icc.nft, and its
# bridge table rules/icc-bridge.nft, the documented layout (their comment
# lines and blank lines aside; nft puts a blank line between objects, so
# blank lines are dropped on both sides),
# and links show up as exactly the expected element lines.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

GOLDEN=$ICC_SRCDIR/rules/icc.nft
GOLDEN_BRIDGE=$ICC_SRCDIR/rules/icc-bridge.nft
[ -r "$GOLDEN" ] || fatal "$GOLDEN is missing"
[ -r "$GOLDEN_BRIDGE" ] || fatal "$GOLDEN_BRIDGE is missing"

# strip: drop comment lines (optional blanks, then '#') and blank lines,
# and the marks of an owned table (owner_marks_off in lib.sh; the file
# leaves them out: loaded by nft -f, an owned table would die with nft).
# A line "#= RULE" is a rule nft lists but cannot read back (rules/icc.nft
# says which): compared as a rule here, left out of the bytecode below.
strip() {
	owner_marks_off | sed -e 's/^\([[:space:]]*\)#= /\1/' \
		-e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d'
}

# skeleton: the table without its element lines (which may span lines).
skeleton() {
	awk '
		!inel && /^[[:space:]]*elements = \{/ { inel = 1 }
		inel { if (index($0, "}")) inel = 0; next }
		{ print }'
}

# element_lines: each set's header and its element lines, as nft prints.
element_lines() {
	awk '
		/^[[:space:]]*set [^ ]+ \{/ { print }
		!inel && /^[[:space:]]*elements = \{/ { inel = 1 }
		inel { print; if (index($0, "}")) inel = 0 }'
}

start_iccd
golden=$(strip <"$GOLDEN")
if table=$(nft_table); then
	same "empty table equals rules/icc.nft" "$golden" "$(strip <<<"$table")"
else
	fail "nft list table inet icc failed after iccd started"
fi
# The bridge table beside it (port bindings, fail closed without
# br_netfilter): rules/icc-bridge.nft.
if table=$(in_host nft list table bridge icc); then
	same "empty bridge table equals rules/icc-bridge.nft" \
		"$(strip <"$GOLDEN_BRIDGE")" "$(strip <<<"$table")"
else
	fail "nft list table bridge icc failed after iccd started"
fi

# The same rules typed by hand: rules/icc.nft loaded by nft into a scratch
# namespace must give the kernel the same bytecode as iccd's libnftnl
# code (nft --debug=netlink: every expression of every rule; rule
# handles and counter values aside), so the documented text is what runs.
bytecode() {
	ip netns exec "$1" nft --debug=netlink list table inet icc |
		sed -E -e 's/^(inet icc [a-z0-9_]+) [0-9]+( [0-9]+)?$/\1/' \
			-e 's/\[ counter pkts [0-9]+ bytes [0-9]+ \]/[ counter ]/' |
		owner_marks_off | sed '/^table inet icc {$/,$d'
}
SCRATCH=$ICC_RUN-scratch
new_netns "$SCRATCH"
ip netns exec "$SCRATCH" nft -f "$GOLDEN" || fatal "nft -f rules/icc.nft failed"
want=$(bytecode "$SCRATCH")
[ "$(grep -c '^  \[' <<<"$want")" -gt 20 ] || fatal "nft --debug=netlink printed no bytecode: $want"
# The "#=" rules (ct reply proto-src: the related rules) are left out
# of iccd's side; their listing was compared above.
have=$(bytecode "$HOST" | awk 'BEGIN { RS = ""; ORS = "\n\n" } !/proto_src/' | sed '$d')
nrel=$(bytecode "$HOST" | grep -c 'ct load proto_src => reg [0-9]* , dir reply')
same "iccd's bytecode has the 8 related rules of rules/icc.nft's #= lines" 8 "$nrel"
same "iccd's bytecode equals that of rules/icc.nft loaded by nft ($(grep -c '^  \[' <<<"$want") expressions)" \
	"$want" "$have"

add_container db 10.88.0.2 fd88::2
add_container web 10.88.0.3 fd88::3
must start db --bridge br0 --ip 10.88.0.2 --ip6 fd88::2 --expose 3306/tcp --expose 7000-7999/tcp
must start web --bridge br0 --ip 10.88.0.3 --ip6 fd88::3 --link db:aliasdb

# One element per set: hash sets print in hash order, so more than one
# element per set would not have a fixed text.
expected=$(cat <<'END'
	set closed {
		elements = { "br0" . "br0" }
	set links4 {
		elements = { 10.88.0.3 . 10.88.0.2 . tcp . 3306 }
	set ranges4 {
		elements = { 10.88.0.3 . 10.88.0.2 . tcp . 7000-7999 }
	set links6 {
		elements = { fd88::3 . fd88::2 . tcp . 3306 }
	set ranges6 {
		elements = { fd88::3 . fd88::2 . tcp . 7000-7999 }
	set pairs4 {
		elements = { 10.88.0.3 . 10.88.0.2 }
	set pairs6 {
		elements = { fd88::3 . fd88::2 }
END
)
if table=$(nft_table); then
	same "element lines of two linked containers" "$expected" "$(element_lines <<<"$table")"
	same "the rest of the table is still rules/icc.nft" "$golden" \
		"$(skeleton <<<"$table" | strip | zero_counters)"
else
	fail "nft list table inet icc failed after the links"
fi
expect_tcp_ok web 10.88.0.2 3306
expect_tcp_ok web fd88::2 7999

finish
