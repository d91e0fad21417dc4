#!/bin/sh
# Runs inside the booted USB image for every `cargo xtask hw-test`: the host copies it into the
# 9p share (as run.sh) with the hw-tests binary and the test-name filters. The share's setup.sh
# has already loaded the virtual devices, put the qemu board in place and installed the store's
# CA and the upload credentials; its report.sh runs this after the boot report, reports the exit
# code and powers off. The site is the image's own (the test built the image with it).
export HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin RUST_BACKTRACE=1
share=/run/hw-tests
test=/run/station-test
mkdir -p "$test" /tmp/hw-tests
export STATION_BOARD=/etc/station/board.toml STATION_SITE=/etc/station/station.toml
export STATION_DATA_DIR=/tmp/hw-tests HW_TESTS_STATIONCTL=/usr/bin/stationctl HW_TESTS_SHARE="$share"
# The proctor PIN whose hash the test site holds (simulated exams type it, and so does the
# keyboard of the check-in test).
STATION_PROCTOR_PIN=$(cat "$share/pin")
export STATION_PROCTOR_PIN
# The test site's exam host names: the exam page (QEMU guestfwd) and an allowlisted name on an
# internal address the site does not allow.
{ cat /etc/hosts; echo "10.0.2.100 exam.station.test"; echo "10.0.2.2 intranet.station.test"; } > "$test/hosts"
mount --bind "$test/hosts" /etc/hosts
# The forward proxy resolves names with them from now on.
systemctl restart exam-proxy.service
# The tests drive the devices themselves (stationd holds the display as DRM master and the
# keyboards in Ready); the boot report has already checked stationd, and the check-in test
# starts it again.
systemctl stop stationd.service
# uplinkd sends a bundle the moment it is sealed: held back since boot (setup.sh) and until
# the uplink test restarts it, so the exam tests can verify their bundles first.
systemctl stop uplinkd.service
touch /run/station-test/uplink-released
echo "hw-test: devices: $(ls /dev/video* /dev/dri/card* /dev/snd/pcm* 2>/dev/null | tr '\n' ' ')"
# shellcheck disable=SC2046
( "$share/bin/hw-tests" $(cat "$share/args" 2>/dev/null); echo $? > "$share/rc" ) 2>&1 | tee "$share/results.txt"
rc=$(cat "$share/rc" 2>/dev/null || echo 126)
exit "$rc"
