#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the benchmark guest (tools/bench.py puts it in the initramfs).
# It loads the modules listed in /modules/order, binds QEMU's edu device
# to vfio-pci, runs /bench/ioasid_bench with the size, repetitions and
# IOVA given on the kernel command line (bench.mib=N bench.reps=N
# bench.iova=ADDR, bench.thp=1 for THP only, bench.scale=MIB,MIB,... for
# the scaling table), and powers off.  Lines
# for the host start with "bench| " (the program's output) or
# "bench-init: " (this script); the exit status goes to QEMU through
# isa-debug-exit at port 0xf4: 0 when everything worked.

/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp

say() {
	echo "bench-init: $*"
}

finish() {
	say "status=$1 uptime=$(cut -d' ' -f1 /proc/uptime)"
	# Wait for the UART to drain (stty applies its settings with
	# TCSADRAIN), then exit QEMU with (status << 1) | 1.
	stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null ||
		sleep 1
	printf '%b' "\\00$1" |
		dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	poweroff -f
}

say "start kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)"

mib=1024
reps=3
iova=0x40000000
thp=
scale=
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
	case $arg in
	bench.mib=*) mib=${arg#*=} ;;
	bench.reps=*) reps=${arg#*=} ;;
	bench.iova=*) iova=${arg#*=} ;;
	bench.thp=1) thp=-t ;;
	bench.scale=*) scale="-s ${arg#*=}" ;;
	esac
done

status=0
while read -r file; do
	if ! insmod "/modules/$file"; then
		say "insmod $file failed"
		status=1
	fi
done < /modules/order
say "modules loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# QEMU's edu device, 1234:11e8, to vfio-pci.
edu=
for dev in /sys/bus/pci/devices/*; do
	if [ "$(cat "$dev/vendor")" = 0x1234 ] &&
	   [ "$(cat "$dev/device")" = 0x11e8 ]; then
		edu=${dev##*/}
	fi
done
if [ -n "$edu" ]; then
	echo vfio-pci > "/sys/bus/pci/devices/$edu/driver_override"
	echo "$edu" > /sys/bus/pci/drivers_probe
	group=$(readlink "/sys/bus/pci/devices/$edu/iommu_group")
	driver=$(readlink "/sys/bus/pci/devices/$edu/driver")
	say "edu $edu driver=${driver##*/} iommu_group=${group##*/}"
else
	say "no edu device (1234:11e8)"
fi
if [ -d /sys/kernel/mm/transparent_hugepage ]; then
	say "thp enabled: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
fi
say "memory: $(grep -E '^(MemTotal|MemFree)' /proc/meminfo |
	tr -s ' ' | tr '\n' ' ')"

say "bench begin"
{
	# shellcheck disable=SC2086 # $thp and $scale are options or nothing
	/bench/ioasid_bench -m "$mib" -r "$reps" -i "$iova" $thp $scale 2>&1
	echo $? > /tmp/bench.rc
} | sed 's/^/bench| /'
rc=$(cat /tmp/bench.rc)
say "bench end rc=$rc"
[ "$rc" = 0 ] || status=1

# A warning or an oops during the run makes it fail; the kernel log goes
# to the console log on the host.
taint=$(cat /proc/sys/kernel/tainted)
if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
	say "the kernel log has a warning or an oops"
	status=1
fi
say "taint=$taint"
dmesg | sed 's/^/dmesg| /'
finish $status
