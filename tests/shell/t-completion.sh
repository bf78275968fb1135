#!/bin/bash
# t-completion: contrib/bash-completion/iccctl parses, registers itself,
# and offers exactly the expected words for each kind of position:
# commands, global and per-command options, option values (bridges, icc
# modes, containers, aliases, files), positional names, --socket passed on
# to the `iccctl list` it runs, and nothing (and no noise) when iccd
# cannot be reached.  No root, no daemon: `iccctl` is a stub on PATH that
# prints a canned `iccctl list` and records how it was called.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
COMPLETION=$ICC_SRCDIR/contrib/bash-completion/iccctl
failures=0

fail() {
	printf 'FAIL: %s\n' "$*"
	failures=$((failures + 1))
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/icc-completion.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

bash -n "$COMPLETION" || fail "bash -n $COMPLETION"

# The stub: what `iccctl list` prints (as src/iccctl.c's print_list).
mkdir -p "$TMP/bin"
cat >"$TMP/bin/iccctl" <<'EOF'
#!/bin/bash
printf '%s\n' "$*" >>"$STUB_LOG"
[ -n "${STUB_DOWN:-}" ] && {
	echo "iccctl: cannot reach iccd at x: Connection refused" >&2
	exit 1
}
cat <<'LIST'
bridge br0 icc off
container db running bridge br0 ip 10.88.0.2 expose 3306/tcp
container web running bridge br0 ip 10.88.0.3
link web db alias aliasdb active
  allow 10.88.0.3 . 10.88.0.2 . tcp . 3306
link web cache alias cache pending
LIST
EOF
chmod +x "$TMP/bin/iccctl"
PATH=$TMP/bin:$PATH
STUB_LOG=$TMP/stub.log
export STUB_LOG

# A /sys/class/net with one more bridge (br9) and a device that is none.
mkdir -p "$TMP/sys/br9/bridge" "$TMP/sys/br0/bridge" "$TMP/sys/eth0"
_iccctl_sysfs=$TMP/sys

# Files for --write and --socket.
mkdir -p "$TMP/files"
: >"$TMP/files/hosts one"
: >"$TMP/files/hosts2"

# shellcheck source=/dev/null
. "$COMPLETION"

complete -p iccctl 2>/dev/null | grep -q -- '-F _iccctl iccctl$' ||
	fail "completion not registered: $(complete -p iccctl 2>&1)"

# expect "WANT..." WORD...: complete the last WORD of `iccctl WORD...`;
# the sorted offers must be exactly WANT (space-separated; "" for none).
expect() {
	local want=$1 got err
	shift
	COMP_WORDS=(iccctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	err=$(_iccctl 2>&1 >/dev/null)
	_iccctl 2>/dev/null
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' ')
	[ "$got" = "$want" ] ||
		fail "iccctl $*<TAB>: want [$want], got [$got]"
	[ -z "$err" ] || fail "iccctl $*<TAB>: wrote to stderr: $err"
}

ALL="bridge check env hosts link list log metrics reload rm start status stop unlink"
START_OPTS="--bridge --env --expose --hostname --id --ip --ip6 --link --mac --port"

# Commands and global options.
expect "$ALL" ''
expect "start status stop" st
expect "unlink" un
expect "--help --socket --timeout --version" -
expect "" --timeout ''
expect "$ALL" --timeout 5 ''
expect "--socket" --s
expect "" nosuch

# Each command's options.
expect "$START_OPTS" start -
expect "$START_OPTS" start web -
expect "--id --ip --ip6" start web --bridge br0 --i
expect "--ip --ip6" start web --bridge br0 --ip
expect "--dot --json" list -
expect "--json" check web db 80 -
expect "--follow --json" log -
expect "" metrics -
expect "--json" status --
expect "--json --link" env web -
expect "--write" hosts web -
expect "--icc" bridge br0 -
expect "" stop -
expect "" reload -

# Option values.
expect "br0 br9" start web --bridge ''
expect "br9" start web --bridge br9
expect "br0 br9" start web --bridge = ''
expect "off on" bridge br0 --icc ''
expect "off on" bridge br0 --icc o
expect "off" bridge br0 --icc of
expect "db web" start api --link ''
expect "aliasdb cache" env web --link ''
expect "aliasdb" env web --link al
expect "" start db --ip ''
expect "" start db --expose ''
expect "$TMP/files/hosts one $TMP/files/hosts2" hosts web --write \
	"$TMP/files/h"
expect "$TMP/files/hosts2" --socket "$TMP/files/hosts2"
# A value is not an argument: "--bridge br0" leaves NAME to complete.
expect "db web" start --bridge br0 ''

# Positional names.
expect "db web" stop ''
expect "web" rm w
expect "db web" check ''
expect "db" check web d
expect "db web" start ''
expect "db web" env ''
expect "db web" hosts ''
expect "db web" link ''
expect "db web" link web ''
expect "aliasdb cache" unlink web ''
expect "br0 br9" bridge ''
expect "" stop web ''
expect "" list ''
expect "" reload ''

# --socket, in both spellings, reaches the `iccctl list` that is run.
: >"$STUB_LOG"
expect "db web" --socket /x/ctl.sock stop ''
grep -qx -- '--socket /x/ctl.sock list' "$STUB_LOG" ||
	fail "--socket not passed on: $(cat "$STUB_LOG")"
: >"$STUB_LOG"
expect "db web" --socket = /y/ctl.sock stop ''
grep -qx -- '--socket /y/ctl.sock list' "$STUB_LOG" ||
	fail "--socket=PATH not passed on: $(cat "$STUB_LOG")"
: >"$STUB_LOG"
expect "db web" stop ''
grep -qx -- 'list' "$STUB_LOG" ||
	fail "plain list expected: $(cat "$STUB_LOG")"

# iccd down: no names, no bridges but sysfs's, nothing on stderr.
export STUB_DOWN=1
expect "" stop ''
expect "br0 br9" bridge ''
expect "" unlink web ''
unset STUB_DOWN

if [ "$failures" -ne 0 ]; then
	echo "t-completion: $failures failure(s)"
	exit 1
fi
echo "t-completion: all passed"
exit 0
