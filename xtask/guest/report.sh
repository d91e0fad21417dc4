#!/bin/sh
# Prints one line describing the boot (root device and mode, dm-verity status, stationd state,
# kernel-start-to-Ready seconds, data partition, failed units); then, when the share has the
# hw-tests (run.sh), runs them and prints HW-TEST-RESULT; then powers off.
# Started by setup.sh as the transient unit station-test-report.service.
share=/run/hw-tests
# stationd is ordered before this unit; if it is still (re)starting, give it two more minutes.
i=0
while [ $i -lt 120 ] && ! systemctl is-active -q stationd.service; do
    sleep 1; i=$((i + 1))
done
root=$(findmnt -no SOURCE /)
case ",$(findmnt -no OPTIONS /)," in *,ro,*) ro=yes ;; *) ro=no ;; esac
verity=$(veritysetup status root 2>/dev/null | sed -n 's/^ *status: *//p')
stationd=$(systemctl is-active stationd.service)
us=$(systemctl show -p ActiveEnterTimestampMonotonic --value stationd.service)
ready=$(awk -v u="${us:-0}" 'BEGIN { printf "%.1f", u / 1000000 }')
data=$(findmnt -no SOURCE /var/lib/station || echo none)
failed=$(systemctl --failed --plain --no-legend | awk '{print $1}' | paste -sd, -)
# Where the boot time went: kernel start to userspace (initrd, verity), then to Ready.
t() { systemctl show -p "$1" --value | awk '{ printf "%.1f", $1 / 1000000 }'; }
echo "STATION-BOOT-TIME userspace_at_s=$(t UserspaceTimestampMonotonic) ready_s=$ready"
# stationd's self-test, one line per device (PASS/FAIL under the unit's sandbox).
journalctl -b -u stationd.service -o cat --no-pager 2>/dev/null | grep 'selftest:' | sed 's/\x1b\[[0-9;]*m//g' | while read -r l; do
    echo "STATION-BOOT-SELFTEST $l"
done
# The station's signed health report, written at boot (after the self-test).
h=/var/lib/station/health/report.json
echo "STATION-BOOT-HEALTH $(sed -n 's/^  "\(reason\|written_at\|station\)": "\(.*\)",$/\1=\2/p' $h 2>/dev/null | paste -sd' ' -) "
# How the enrolled identity is kept: tpm (sealed to the machine's TPM), clear (no TPM), none.
echo "STATION-BOOT-IDENTITY sealing=$(cat /run/station/identity/sealing 2>/dev/null || echo none)"
echo "STATION-BOOT-REPORT root=$root ro=$ro verity=${verity:-none} stationd=$stationd ready_s=$ready data=$data failed=${failed:-none}"
if [ -e "$share/run.sh" ]; then
    echo "hw-test: running run.sh"
    sh "$share/run.sh"
    echo "HW-TEST-RESULT rc=$?"
fi
sync
systemctl poweroff --no-block
