#!/usr/bin/env bash
# Makes a CA, a server certificate for 127.0.0.1/localhost and client certificates, with openssl:
#   make-certs.sh DIR [USER[:GROUP,GROUP…]] …
# writes DIR/ca.{crt,key}, DIR/server.{crt,key} and DIR/client-USER.{crt,key} (CN=USER, O=GROUP each).
# Keys are mode 600; an existing CA is reused so issued certificates stay valid.
set -euo pipefail
dir="$1"; shift
mkdir -p "$dir"; chmod 700 "$dir"
umask 077
cd "$dir"
if [ ! -s ca.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
    -subj "/CN=streamspace-test-ca" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
if [ ! -s server.crt ]; then
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 30 \
    -extfile server.ext 2>/dev/null
  rm -f server.csr server.ext
fi
for spec in "$@"; do
  user="${spec%%:*}"; groups=""
  [ "$spec" != "$user" ] && groups="${spec#*:}"
  case "$user" in *[!A-Za-z0-9:._-]*|"") echo "make-certs: bad user name: $user" >&2; exit 2 ;; esac
  subj="/CN=$user"
  IFS=, read -ra gs <<<"$groups"
  for g in "${gs[@]}"; do [ -n "$g" ] && subj="$subj/O=$g"; done
  file="client-${user//:/_}"
  openssl req -newkey rsa:2048 -nodes -keyout "$file.key" -out "$file.csr" -subj "$subj" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$file.ext"
  openssl x509 -req -in "$file.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$file.crt" -days 30 \
    -extfile "$file.ext" 2>/dev/null
  rm -f "$file.csr" "$file.ext"
done
chmod 644 ca.crt server.crt client-*.crt 2>/dev/null || true
