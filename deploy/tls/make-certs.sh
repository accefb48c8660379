#!/usr/bin/env sh
# A throw-away CA and a broker certificate for docker-compose.secure.yml (PEM, for Kafka's
# ssl.keystore.type=PEM). For production, use certificates from your own CA.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=newsflow-dev-ca" \
  -keyout ca.key -out ca.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=kafka" -keyout broker.key -out broker.csr
printf "subjectAltName=DNS:kafka,DNS:localhost\n" > broker.ext
openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
  -extfile broker.ext -out broker.crt
cat broker.key broker.crt > broker.pem   # key then certificate chain, as Kafka's PEM keystore wants
rm -f broker.csr broker.ext ca.srl
echo "wrote deploy/tls/ca.pem and deploy/tls/broker.pem"
