#!/bin/sh
# Runs inside the booted USB image for every `cargo xtask hw-test`: the host copies it into the
# 9p share with the hw-tests binary, the test site (on-premises store = the host's SeaweedFS over
# https, with its CA), the station's upload credentials and the test-name filters. Started by
# the image's station-hw-test.service, which reports the exit code and powers off.
export HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin RUST_BACKTRACE=1
share=/run/hw-tests
test=/run/station-test
mkdir -p "$test" /tmp/hw-tests
install -m 0644 "$share/site.toml" "$test/site.toml"
install -m 0644 "$share/ca.pem" "$test/ca.pem"
install -o station -g station -m 0600 "$share/uplink.toml" "$test/uplink.toml"
export STATION_BOARD=/etc/station/board.toml STATION_SITE="$test/site.toml"
export STATION_DATA_DIR=/tmp/hw-tests HW_TESTS_STATIONCTL=/usr/bin/stationctl HW_TESTS_SHARE="$share"
# The proctor PIN whose hash the test site holds (simulated exams type it, and so does the
# keyboard of the check-in test).
STATION_PROCTOR_PIN=$(cat "$share/pin")
export STATION_PROCTOR_PIN
# The services read /etc/station/station.toml: put the test site there (the root is read-only)
# and restart the forward proxy on its allowlist (uplinkd is restarted by its test).
mount --bind "$test/site.toml" /etc/station/station.toml
# The test site's exam host names: the exam page (QEMU guestfwd) and an allowlisted name on an
# internal address the site does not allow.
{ cat /etc/hosts; echo "10.0.2.100 exam.station.test"; echo "10.0.2.2 intranet.station.test"; } > "$test/hosts"
mount --bind "$test/hosts" /etc/hosts
systemctl restart exam-proxy.service
# The tests drive the devices themselves (stationd holds the display as DRM master and the
# keyboards in Ready); the boot report has already checked stationd, and the check-in test
# starts it again.
systemctl stop stationd.service
# uplinkd sends a bundle the moment it is sealed: held back until the uplink test restarts it,
# so the exam tests can verify their bundles first.
systemctl stop uplinkd.service
echo "hw-test: devices: $(ls /dev/video* /dev/dri/card* /dev/snd/pcm* 2>/dev/null | tr '\n' ' ')"
# shellcheck disable=SC2046
( "$share/bin/hw-tests" $(cat "$share/args" 2>/dev/null); echo $? > "$share/rc" ) 2>&1 | tee "$share/results.txt"
rc=$(cat "$share/rc" 2>/dev/null || echo 126)
exit "$rc"
