# SPDX-License-Identifier: GPL-2.0
#
# apt-retry.sh - sourced by the scripts that call apt-get.  The caller
# sets $prog (its name, for messages) and runs under bash.

# Run an apt-get command; while it fails only because another process
# holds an apt or dpkg lock, wait and try again.
apt_retry() {
	local waited=0 limit=${APT_LOCK_WAIT:-900} err rc
	err=$(mktemp)
	while :; do
		# stdout passes through; stderr is shown and kept in $err.
		{
			"$@" 2>&1 1>&3 3>&- | tee "$err" >&2
			rc=${PIPESTATUS[0]}
		} 3>&1
		if [ "$rc" -eq 0 ]; then
			rm -f "$err"
			return 0
		fi
		if ! grep -qE 'Could not get lock|Unable to lock|Unable to acquire' "$err" ||
			[ "$waited" -ge "$limit" ]; then
			rm -f "$err"
			return "$rc"
		fi
		echo "$prog: apt is locked by another process; retrying in 10 s" \
			"(waited ${waited}s of ${limit}s)" >&2
		sleep 10
		waited=$((waited + 10))
	done
}
