#!/bin/bash
# t-manpages: the man pages document exactly what the programs take, and
# are clean troff.
#
#  - iccctl: the commands of `iccctl --help` and those of iccctl(8)'s
#    COMMANDS section are the same, and so are the options of each command
#    and the global options (SYNOPSIS and the list in DESCRIPTION);
#    --help and --version, which the usage does not list, must work.
#  - iccd, icc-docker and icc-oci-hook: the options of `PROG --help`, of
#    PROG(8)'s SYNOPSIS and of its OPTIONS section are the same.
#  - every iccd page another page refers to (.Xr) exists.
#  - `groff -ww -z -mandoc` has nothing to say about any page in doc/.
# make check runs tests with $(SHELL), which may be a POSIX sh: need bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ICC_BUILDDIR=${ICC_BUILDDIR:-$ICC_SRCDIR}
ICCCTL=$ICC_BUILDDIR/src/iccctl/iccctl
ICCD=$ICC_BUILDDIR/src/iccd/iccd
ICC_DOCKER=$ICC_BUILDDIR/src/docker/icc-docker
ICC_OCI_HOOK=$ICC_BUILDDIR/src/oci/icc-oci-hook
DOC=$ICC_SRCDIR/doc

failures=0
fail() {
	printf 'FAIL: %s\n' "$*"
	failures=$((failures + 1))
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/icc-manpages.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

for f in "$ICCCTL" "$ICCD" "$ICC_DOCKER" "$ICC_OCI_HOOK"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done

# ---- extraction ----------------------------------------------------------

# help_iccctl: "cmd NAME" and "NAME --option" lines, and "global --option",
# from `iccctl --help`.  A usage line holds commands separated by " | ";
# a line starting with '[' continues the last command.
help_iccctl() {
	"$ICCCTL" --help | awk '
	function opts(who, s) {
		while (match(s, /--[a-z0-9][a-z0-9-]*/)) {
			print who, substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
		}
	}
	NR == 1 { opts("global", $0); next }
	{
		sub(/^[ \t]+/, "")
		if ($0 ~ /^\[/) { opts(cmd, $0); next }
		n = split($0, seg, / \| /)
		for (i = 1; i <= n; i++) {
			split(seg[i], w, " ")
			cmd = w[1]
			print "cmd", cmd
			opts(cmd, seg[i])
		}
	}' | sort -u
}

# man_iccctl: the same from doc/iccctl.8: commands are the top-level
# ".It Ic NAME" (or ".It Xo" + ".Ic NAME") items of COMMANDS, options
# every "Fl -x" until the next command; global options come from SYNOPSIS
# ("global") and from the DESCRIPTION's option list ("described").
man_iccctl() {
	awk '
	function fl(who, s) {
		while (match(s, /(Fl| \|) -[a-z0-9][a-z0-9-]*/)) {
			o = substr(s, RSTART, RLENGTH)
			sub(/^.* -/, "--", o)
			print who, o
			s = substr(s, RSTART + RLENGTH)
		}
	}
	/^\.Sh / { sec = $2; depth = 0; cmd = ""; next }
	/^\.Bl/ { depth++ }
	/^\.El/ { depth-- }
	sec == "SYNOPSIS" { fl("global", $0) }
	sec == "DESCRIPTION" && depth == 1 && /^\.It Fl/ { fl("described", $0) }
	sec == "COMMANDS" && depth == 1 && /^\.It / {
		cmd = ""
		if ($2 == "Ic") cmd = $3
		xo = $2 == "Xo"
	}
	sec == "COMMANDS" && xo && /^\.Ic / { cmd = $2; xo = 0 }
	sec == "COMMANDS" && cmd != "" { print "cmd", cmd; fl(cmd, $0) }
	' "$DOC/iccctl.8" | sort -u
}

# help_opts PROG: the options of `PROG --help`, one a line.
help_opts() {
	"$1" --help | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# man_opts PAGE SECTION: the "Fl -x" options of PAGE's SYNOPSIS, or the
# ".It Fl -x" items of its OPTIONS.
man_opts() {
	awk -v want="$2" '
	/^\.Sh / { sec = $2; next }
	sec != want { next }
	want == "OPTIONS" && !/^\.It Fl/ { next }
	{
		s = $0
		while (match(s, /(Fl| \|) -[a-z0-9][a-z0-9-]*/)) {
			o = substr(s, RSTART, RLENGTH)
			sub(/^.* -/, "--", o)
			print o
			s = substr(s, RSTART + RLENGTH)
		}
	}' "$1" | sort -u
}

# same WHAT A B: files A and B hold the same lines, else one FAIL with the
# difference.
same() {
	local what=$1 a=$2 b=$3 d
	if ! d=$(diff "$a" "$b"); then
		fail "$what differ (< $(basename "$a"), > $(basename "$b")):"
		printf '%s\n' "$d" | sed 's/^/    /'
	fi
}

# ---- iccctl ----------------------------------------------------------------

help_iccctl >"$TMP/help-iccctl"
man_iccctl >"$TMP/man-iccctl"
[ "$(grep -c '^cmd ' "$TMP/help-iccctl")" -ge 10 ] ||
	fail "iccctl --help: too few commands parsed: $(cat "$TMP/help-iccctl")"

grep '^cmd ' "$TMP/help-iccctl" >"$TMP/help-cmds"
grep '^cmd ' "$TMP/man-iccctl" >"$TMP/man-cmds"
same "iccctl commands" "$TMP/help-cmds" "$TMP/man-cmds"

grep -v '^cmd \|^global \|^described ' "$TMP/help-iccctl" >"$TMP/help-opts"
grep -v '^cmd \|^global \|^described ' "$TMP/man-iccctl" >"$TMP/man-opts"
same "iccctl command options" "$TMP/help-opts" "$TMP/man-opts"

# Each command's own help (iccctl CMD --help) names the command and
# exactly the options --help lists for it.
while read -r _ cmd; do
	out=$("$ICCCTL" "$cmd" --help 2>&1) ||
		{ fail "iccctl $cmd --help: exit status $?"; continue; }
	case $out in
	"usage: iccctl [--socket PATH] $cmd"*) ;;
	*) fail "iccctl $cmd --help: $out" ;;
	esac
	want=$(grep "^$cmd --" "$TMP/help-opts" | cut -d' ' -f2 | sort -u)
	got=$(printf '%s\n' "$out" | grep -o -- '--[a-z0-9-]*' | grep -v -- '--socket' | sort -u)
	[ "$want" = "$got" ] ||
		fail "iccctl $cmd --help: options '$got', iccctl --help says '$want'"
done <"$TMP/help-cmds"

# --help and --version are not in the usage text; they must work.
"$ICCCTL" --help >/dev/null 2>&1 || fail "iccctl --help: exit status $?"
"$ICCCTL" --version 2>&1 | grep -q '^iccctl [0-9]' ||
	fail "iccctl --version: $("$ICCCTL" --version 2>&1)"
{ grep '^global ' "$TMP/help-iccctl"; echo "global --help"
  echo "global --version"; } | sort -u >"$TMP/help-global"
grep '^global ' "$TMP/man-iccctl" >"$TMP/man-global"
same "iccctl global options (SYNOPSIS)" "$TMP/help-global" "$TMP/man-global"
sed -n 's/^described /global /p' "$TMP/man-iccctl" >"$TMP/man-described"
same "iccctl global options (DESCRIPTION)" "$TMP/help-global" \
	"$TMP/man-described"

# ---- iccd and icc-docker ------------------------------------------------------

# check_prog NAME BIN PAGE MIN: BIN's --help against PAGE (at least MIN
# options parsed, --help and --version included).
check_prog() {
	local name=$1 bin=$2 page=$3 min=$4
	{ help_opts "$bin"; echo --help; echo --version; } | sort -u >"$TMP/help-$name"
	[ "$(wc -l <"$TMP/help-$name")" -ge "$min" ] ||
		fail "$name --help: too few options parsed: $(cat "$TMP/help-$name")"
	"$bin" --version 2>&1 | grep -q "^$name [0-9]" ||
		fail "$name --version: $("$bin" --version 2>&1)"
	man_opts "$page" SYNOPSIS >"$TMP/man-$name-synopsis"
	man_opts "$page" OPTIONS >"$TMP/man-$name-options"
	same "$name options (SYNOPSIS)" "$TMP/help-$name" "$TMP/man-$name-synopsis"
	same "$name options (OPTIONS)" "$TMP/help-$name" "$TMP/man-$name-options"
}

check_prog iccd "$ICCD" "$DOC/iccd.8" 8
check_prog icc-docker "$ICC_DOCKER" "$DOC/icc-docker.8" 5
check_prog icc-oci-hook "$ICC_OCI_HOOK" "$DOC/icc-oci-hook.8" 4

# Every page another page refers to (Xr NAME 8 or 5) exists, for ours.
while read -r ref; do
	[ -e "$DOC/$ref" ] || fail "a page refers to $ref, which doc/ lacks"
done < <(grep -ho '^\.Xr icc[a-z.-]* [0-9]' "$DOC"/*.[1-9] | awk '{ print $2 "." $3 }' | sort -u)

# ---- troff -------------------------------------------------------------------

if ! command -v groff >/dev/null 2>&1; then
	fail "groff not found (Debian: groff-base)"
else
	for page in "$DOC"/*.[1-9]; do
		out=$(groff -ww -z -mandoc "$page" 2>&1)
		[ -z "$out" ] || fail "groff -ww on $(basename "$page"): $out"
	done
fi

if [ "$failures" -ne 0 ]; then
	echo "t-manpages: $failures failure(s)"
	exit 1
fi
echo "t-manpages: iccctl $(wc -l <"$TMP/help-cmds") commands," \
    "$(wc -l <"$TMP/help-opts") command options; iccd" \
    "$(wc -l <"$TMP/help-iccd") options, icc-docker" \
    "$(wc -l <"$TMP/help-icc-docker") options, icc-oci-hook" \
    "$(wc -l <"$TMP/help-icc-oci-hook") options: all documented"
exit 0
