# SPDX-License-Identifier: GPL-2.0
#
# Convert the chunks of lit's AsciiDoc input to noweb syntax, for the
# cross-check against notangle.  Prose is dropped; ordinary verbatim blocks
# are skipped like lit does; in code, "<<" that does not start a reference
# line is escaped as "@<<" and a leading "@" is doubled.

function verbatim_delim(s) {
	return s ~ /^-----*$/ || s ~ /^\.\.\.\.+$/ || s ~ /^\+\+\+\++$/ ||
	       s ~ /^\/\/\/\/+$/ || s ~ /^```/
}

{
	sub(/\r$/, "")
}

state == "body" {
	if ($0 == delim) {
		print "@"
		state = ""
		next
	}
	line = $0
	if (line ~ /^[ \t]*<<[^<>]+>>[ \t]*$/) {
		sub(/[ \t]+$/, "", line)
		print line
		next
	}
	if (substr(line, 1, 1) == "@")
		line = "@" line
	gsub(/<</, "@<<", line)
	print line
	next
}

state == "attr" {
	if ($0 !~ /^-----*$/) {
		printf "%s:%d: no delimiter after chunk attribute\n", FILENAME, FNR > "/dev/stderr"
		exit 1
	}
	delim = $0
	state = "body"
	print "<<" name ">>="
	next
}

state == "verbatim" {
	if ($0 == vdelim || (vdelim ~ /^```/ && $0 == "```"))
		state = ""
	next
}

/^\[.*chunk="[^"]*".*\]$/ {
	name = $0
	sub(/.*chunk="/, "", name)
	sub(/".*/, "", name)
	state = "attr"
	next
}

verbatim_delim($0) {
	vdelim = $0
	state = "verbatim"
}
