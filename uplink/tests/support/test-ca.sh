#!/bin/sh
# Makes a throw-away CA and a server certificate signed by it, for a test S3 store served over
# https: test-ca.sh DIR writes DIR/ca.pem, DIR/server.pem and DIR/server.key. The server
# certificate is valid for 127.0.0.1, localhost and 10.0.2.2 (the host as QEMU's user network
# shows it to a guest). Used by uplink's tests and by `cargo xtask test` / `hw-test`.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=Exam Station test store CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=test store" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:10.0.2.2,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile ext.cnf -out server.pem 2>/dev/null
rm -f server.csr ext.cnf ca.srl
