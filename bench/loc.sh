#!/bin/sh
# The root's size: lines of the files in src/root and of everything our own
# that is linked into build/rampart (the archive members the linker takes,
# found in a link map, and the repository headers they include, from the
# compiler's dependency files). Prints a Markdown table. "code" counts lines
# that are neither blank nor only comment.
cd "$(dirname "$0")/.." || exit 1
[ -x build/rampart ] || { echo "loc: run make first" >&2; exit 1; }
map=$(mktemp)
trap 'rm -f "$map"' EXIT
# shellcheck disable=SC2046
${CC:-gcc} -o /dev/null build/obj/src/root/main.o build/librampart.a -ljansson -lseccomp -lpthread \
	-Wl,-Map="$map" || exit 1

# count FILE...: "lines code" over the files
count() {
	awk '
	FNR == 1 { inc = 0 }
	{
		lines++
		s = $0
		code = 0
		while (s != "") {
			if (inc) {
				e = index(s, "*/")
				if (!e) { s = ""; break }
				s = substr(s, e + 2); inc = 0
			} else {
				b = index(s, "/*")
				pre = b ? substr(s, 1, b - 1) : s
				sub(/\/\/.*/, "", pre)
				if (pre ~ /[^ \t]/) code = 1
				if (!b || index(pre, "//")) break
				s = substr(s, b + 2); inc = 1
			}
		}
		codes += code
	}
	END { printf "%d %d\n", lines, codes }' "$@"
}

objs=$(sed -n 's/^build\/librampart\.a(\([^)]*\)\.o).*/\1/p' "$map" | sort -u)
linked="src/root/main.c"
for o in $objs; do
	f=$(find src -name "$o.c" | head -n1)
	[ -n "$f" ] && linked="$linked $f"
done
# the repository headers the linked files include
hdrs=$(for f in $linked; do
	d=build/obj/${f%.c}.d
	[ -f "$d" ] && sed 's/\\$//' "$d" | tr ' ' '\n' | grep -E '^(src|include)/.*\.h$'
done | sort -u)

row() { # row WHAT FILES...: one table row
	_w=$1; shift
	set -- $(count "$@") "$#"
	echo "| $_w | $3 | $1 | $2 |"
}
echo "| what | files | lines | code |"
echo "|---|---:|---:|---:|"
row "src/root (.c and .h)" src/root/*.c src/root/*.h
row "linked into rampart: our .c" $linked
row "linked into rampart: our .c and the headers they include" $linked $hdrs
echo
echo "Linked from outside src/root: $(echo "$linked" | tr ' ' '\n' | grep -v '^src/root/' | tr '\n' ' ')"
