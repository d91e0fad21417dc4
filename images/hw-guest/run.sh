#!/bin/sh
# Runs inside the hw-tests guest for every `cargo xtask hw-test` (the host copies it to the
# share; it is not part of the guest's cache key). Loads the virtual device drivers, runs the
# hw-tests binary from the share, and reports its exit code three ways: /host/rc, a marker line
# on the console, and isa-debug-exit (QEMU exits with ((32 + rc) << 1) | 1).
export HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin RUST_BACKTRACE=1
t0=$(cut -d' ' -f1 /proc/uptime)
# No udev in the guest: load every driver by hand, evdev included (uinput devices need it
# to get /dev/input/eventN).
modprobe evdev
modprobe uinput
modprobe virtio-gpu
modprobe vivid n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0
modprobe snd-aloop index=0 id=Loopback pcm_substreams=2
modprobe snd-dummy index=1
modprobe vkms 2>/dev/null || true
# Wait for the nodes the tests use.
for i in $(seq 50); do
    [ -e /dev/video0 ] && [ -e /dev/snd/controlC0 ] && [ -e /dev/dri/card0 ] && [ -e /dev/uinput ] && break
    sleep 0.1
done
echo "hw-guest: drivers loaded at ${t0}s: $(ls /dev/video* /dev/dri/card* /dev/snd/pcm* 2>/dev/null | tr '\n' ' ')"
mkdir -p /tmp/station
export STATION_BOARD=/host/board.toml STATION_SITE=/host/site.toml STATION_DATA_DIR=/tmp/station
export HW_TESTS_STATIONCTL=/host/bin/stationctl
( /host/bin/hw-tests $(cat /host/args 2>/dev/null); echo $? > /host/rc ) 2>&1 | tee /host/results.txt
rc=$(cat /host/rc 2>/dev/null || echo 126)
echo "HW-GUEST-RESULT rc=$rc"
sync
v=$((32 + (rc > 95 ? 95 : rc)))
printf "\\$(printf %03o "$v")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
