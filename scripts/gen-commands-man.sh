#!/bin/sh
# Rewrites the COMMANDS section of docs/ferry.1 (between the BEGIN/END
# COMMANDS markers) from the command table, as `ferry --commands` prints
# it, so the man page is a view of the one definition.
#   usage: gen-commands-man.sh FERRY_BINARY MANPAGE
set -eu
ferry=$1
man=$2
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.sec"' EXIT
"$ferry" --commands | awk -F'\t' '
function roff(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
{
	syn = $1; modes = $2; role = $3; doc = $4
	print ".TP"
	n = split(syn, w, " ")
	line = ".B"
	out = ""
	for (i = 1; i <= n; i++) {
		t = w[i]
		if (t ~ /^\[?[A-Z]+\]?$/) out = out (out == "" ? "" : " ") "\\fI" roff(t) "\\fR"
		else out = out (out == "" ? "" : " ") "\\fB" roff(t) "\\fR"
	}
	print out
	print roff(doc)
	print "(" modes " mode; role: " role ")"
}' >"$tmp.sec"
awk -v sec="$tmp.sec" '
/^\.\\" BEGIN COMMANDS/ { print; while ((getline l < sec) > 0) print l; skip = 1; next }
/^\.\\" END COMMANDS/ { skip = 0 }
!skip { print }' "$man" >"$tmp"
cat "$tmp" >"$man"
