#!/usr/bin/env bash
# Verify and open a casegraph referral package with standard tools only (openssl, age, tar,
# coreutils); see docs/exchange.md. Usage:
#   verify-package.sh PACKAGE_STEM SENDER_PEM AGE_IDENTITY [OUT_DIR]
# PACKAGE_STEM is the path without .age/.sig; SENDER_PEM the "ed25519_pem" field of the sender's
# public key file; AGE_IDENTITY the file `casegraph keys export NAME --age-identity` writes.
set -euo pipefail
P=$1; SENDER_PEM=$2; IDENTITY=$3; OUT=${4:-pkg}
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
field() { grep "\"$1\":" "$P.sig" | cut -d'"' -f4; }
# 1. outer signature, before anything is decrypted
DIGEST=$(sha256sum "$P.age" | cut -d' ' -f1)
[ "$DIGEST" = "$(field ciphertext_sha256)" ] || { echo "ciphertext differs from the .sig"; exit 1; }
[ "$(field algorithm)" = ed25519 ] || { echo "not ed25519"; exit 1; }
printf 'casegraph-referral-v1\n%s\n%s\n' "$DIGEST" "$(field recipient)" > "$WORK/outer.msg"
field signature | base64 -d > "$WORK/outer.bin"
openssl pkeyutl -verify -pubin -inkey "$SENDER_PEM" -rawin -in "$WORK/outer.msg" -sigfile "$WORK/outer.bin"
# 2. decrypt with your age identity and unpack
mkdir "$OUT" && age -d -i "$IDENTITY" "$P.age" | tar -x -C "$OUT"
# 3. inner signature over manifest.json, then every file against the manifest
base64 -d "$OUT"/manifest.sig > "$WORK/manifest.bin"
openssl pkeyutl -verify -pubin -inkey "$SENDER_PEM" -rawin -in "$OUT"/manifest.json -sigfile "$WORK/manifest.bin"
paste -d' ' <(grep -o '"sha256": "[0-9a-f]*"' "$OUT"/manifest.json | cut -d'"' -f4) \
            <(grep -o '"path": "[^"]*"' "$OUT"/manifest.json | cut -d'"' -f4 | sed "s|^|$OUT/|") \
  | sed 's/ /  /' | sha256sum -c --quiet && echo "every file matches the manifest"
