#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# gen-large.sh DIR NFILES NCHUNKS: write DIR/fNNN.adoc, each with one root
# (gen/fNNN.c) and NCHUNKS chunks in groups of ten: the root references
# every tenth chunk, which references the nine after it.
set -eu
dir=$1 nfiles=$2 nchunks=$3
mkdir -p "$dir"
awk -v dir="$dir" -v nfiles="$nfiles" -v nchunks="$nchunks" 'BEGIN {
	for (f = 0; f < nfiles; f++) {
		out = sprintf("%s/f%03d.adoc", dir, f)
		print "// SPDX-License-Identifier: GPL-2.0" > out
		printf "== Generated file %d\n\n", f > out
		printf "[source,c,chunk=\"gen/f%03d.c\"]\n----\n", f > out
		print "// SPDX-License-Identifier: GPL-2.0" > out
		for (c = 0; c < nchunks; c += 10)
			printf "<<f%d chunk %d>>\n", f, c > out
		print "----\n" > out
		for (c = 0; c < nchunks; c++) {
			printf "Chunk %d of file %d does a little work.\n\n", c, f > out
			printf "[source,c,chunk=\"f%d chunk %d\"]\n----\n", f, c > out
			if (c % 10 == 0)
				printf "static int f%d_c%d(int x)\n{\n", f, c > out
			printf "\tx += %d;\n\tx <<= 1;\n\tx ^= 0x%x;\n", c, f * c > out
			if (c % 10 == 0) {
				for (k = c + 1; k < c + 10 && k < nchunks; k++)
					printf "\t<<f%d chunk %d>>\n", f, k > out
				print "\treturn x;\n}" > out
			}
			print "----\n" > out
		}
		close(out)
	}
}'
