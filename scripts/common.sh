# SPDX-License-Identifier: GPL-2.0
# Shared settings for the shmbus scripts: where the cache lives and which
# guest kernel a lane uses.  Sourced, never run.

SHMBUS_CACHE=${SHMBUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shmbus}

die() {
	echo "shmbus: $*" >&2
	exit 1
}

# Debian's kernel flavour for a lane: "stock" and "rt" are Debian's own
# images; "debug" is built by scripts/build-kernel.
kernel_flavour() {
	case "${1:-stock}" in
	stock) echo amd64 ;;
	rt) echo rt-amd64 ;;
	*) die "unknown kernel lane '$1' (expected stock, rt or debug)" ;;
	esac
}

# The kernel release Debian's metapackage points at, e.g. 6.1.0-56-amd64.
# KVER in the environment overrides it.
resolve_kver() {
	local flavour meta
	if [ -n "${KVER:-}" ]; then
		echo "$KVER"
		return
	fi
	if [ "${1:-stock}" = debug ]; then
		cat "$SHMBUS_CACHE/kver-debug" 2>/dev/null
		return
	fi
	flavour=$(kernel_flavour "${1:-stock}")
	meta=$(apt-cache depends "linux-image-$flavour" 2>/dev/null |
		sed -n "s/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-$flavour\)\$/\1/p" |
		head -n1)
	[ -n "$meta" ] || return 1
	echo "$meta"
}
