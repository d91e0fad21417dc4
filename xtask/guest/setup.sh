#!/bin/sh
# What `cargo xtask image-test` and `hw-test` add to the product image they boot. Runs in the
# guest from the 9p share (mounted at /run/hw-tests by the image's test hook,
# station-test-share.service), before stationd, uplinkd and exam-proxy start.
share=/run/hw-tests
# The qemu boards' virtual devices: vivid camera, snd-aloop microphone (what is played
# on hw:Loopback,0,0 is captured on hw:Loopback,1,0), snd-dummy, uinput/evdev input.
# virtio-gpu loads by itself.
modprobe vivid n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0
modprobe snd-aloop index=0 id=Loopback pcm_substreams=2
# snd-dummy (card "Dummy"); Debian's arm64 kernel is built without it.
modprobe -q snd-dummy index=1 || echo "setup: no snd-dummy in this kernel"
modprobe uinput
modprobe evdev
# A board with [gpio] (qemu-aarch64): its simulated chip through gpio-sim's configfs, 28 lines
# labelled as the board names the chip. The station requests its inputs with pull-ups (gpio-sim
# follows the requested bias), so button and switch read released until a test pulls them down.
if grep -q '^\[gpio\]' "$share/board.toml"; then
    label=$(sed -n 's/^chip = "\(.*\)"/\1/p' "$share/board.toml")
    modprobe gpio-sim
    sim=/sys/kernel/config/gpio-sim/exam-station
    mkdir -p "$sim/bank0"
    echo 28 > "$sim/bank0/num_lines"
    echo "$label" > "$sim/bank0/label"
    echo 1 > "$sim/live"
fi
udevadm settle --timeout=30
# Their board in place of the image's (the root file system is read-only).
mount --bind "$share/board.toml" /etc/station/board.toml
# The CA of the test store's certificate, where the test site pins it (the upload
# credentials are the enrolled station's, from the stick's identity partition).
if [ -e "$share/ca.pem" ]; then
    mkdir -p /run/station-test
    install -m 0644 "$share/ca.pem" /run/station-test/ca.pem
fi
# With the hw-tests: uplinkd (enrolled, so able to upload from boot on) is held back until
# image-run.sh releases it, so the tests see each bundle sealed before it is sent (after the
# power cut too, when stationd seals the cut exam at boot).
if [ -e "$share/run.sh" ]; then
    mkdir -p /run/systemd/system/uplinkd.service.d
    printf '[Unit]\nConditionPathExists=/run/station-test/uplink-released\n' \
        > /run/systemd/system/uplinkd.service.d/50-hw-test-hold.conf
    systemctl daemon-reload
fi
# The boot report once stationd is up (then the hw-tests, when the share has them), on the
# serial console: ttyS0 on a PC, the PL011's ttyAMA0 on an arm64 machine.
tty=/dev/ttyS0
[ -e /dev/ttyAMA0 ] && tty=/dev/ttyAMA0
systemd-run --no-block --unit=station-test-report \
    --property=After=stationd.service --property=After=network-online.target \
    --property=Wants=network-online.target \
    --property=StandardOutput=tty --property=StandardError=tty --property=TTYPath="$tty" \
    /bin/sh "$share/report.sh"
