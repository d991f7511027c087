#!/bin/sh
# Regenerates the test PKI (run once; the base64 of these files is pasted into the corpus configs).
set -eu
cd "$(dirname "$0")"
days=36500
# OS (API) CA: Ed25519, as Talos does.
openssl genpkey -algorithm ed25519 -out os-ca.key
openssl req -x509 -new -key os-ca.key -subj "/O=bronze" -days $days -out os-ca.crt
# Kubernetes, aggregator and etcd CAs: ECDSA P-256 (EC PRIVATE KEY blocks).
for ca in kubernetes-ca aggregator-ca etcd-ca; do
  openssl ecparam -name prime256v1 -genkey -noout -out $ca.key
  openssl req -x509 -new -key $ca.key -subj "/CN=$ca" -days $days -out $ca.crt
done
openssl ecparam -name prime256v1 -genkey -noout -out service-account.key
# A leaf (non-CA) certificate and an unrelated key, for negative tests.
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
openssl req -new -key leaf.key -subj "/CN=leaf" -out leaf.csr
openssl x509 -req -in leaf.csr -CA kubernetes-ca.crt -CAkey kubernetes-ca.key -days $days -out leaf.crt \
  -extfile /dev/stdin <<EXT
basicConstraints=critical,CA:FALSE
EXT
rm leaf.csr
openssl ecparam -name prime256v1 -genkey -noout -out unrelated.key
