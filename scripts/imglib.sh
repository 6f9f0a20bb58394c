# Helpers shared by scripts/images.sh and scripts/testhost-build.sh (sourced).
# Needs MODDIR (the unpacked kernel's lib/modules/KVER) for the module helpers.

# mod_path NAME: the .ko file of module NAME ('-' and '_' are the same)
mod_path() {
	find "$MODDIR/kernel" \( -name "$1.ko" -o -name "$(echo "$1" | tr _ -).ko" \
		-o -name "$(echo "$1" | tr - _).ko" \) | head -n1
}

# mod_order NAME...: the .ko paths of NAME... and their dependencies
# (modinfo -F depends), dependencies first, each once.
mod_order() {
	_seen=" "
	_visit() {
		case $_seen in *" $1 "*) return 0 ;; esac
		_seen="$_seen$1 "
		_p=$(mod_path "$1")
		[ -n "$_p" ] || { echo "module $1 not found in $MODDIR" >&2; return 1; }
		for _d in $(modinfo -F depends "$_p" | tr , ' '); do _visit "$_d" || return 1; done
		mod_path "$1"
	}
	for _m in "$@"; do _visit "$_m" || return 1; done
}

# newer_than OUT INPUT...: true if OUT is missing or any INPUT is newer than it.
newer_than() {
	_o=$1; shift
	[ -e "$_o" ] || return 0
	[ -n "$(find "$@" -newer "$_o" 2>/dev/null | head -n1)" ]
}

# copy_bin ROOT FILE...: copy each executable into ROOT at the same path, with
# its shared libraries (ldd) and ELF interpreter, following symlinks.
copy_bin() {
	_r=$1; shift
	for _b in "$@"; do
		for _f in "$_b" $(ldd "$_b" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
			[ -e "$_r$_f" ] && continue
			mkdir -p "$_r$(dirname "$_f")"
			cp -L "$_f" "$_r$_f"
		done
	done
}
