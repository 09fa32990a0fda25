#!/usr/bin/env bash
# Runs what exists of the system on the embedded default (SQLite, test PKI):
# the producer serving both test journals (seeded with synthetic pupils on first run)
# and the platform mock routing to it, with its engagement index.
# Ctrl-C stops both. Data lives in ./data.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
npo=target/release/npo
[ -f data/pki/manifest.json ] || "$npo" certs init --dir data/pki
if [ ! -f data/producer.sqlite ]; then
  "$npo" producer seed --config config/producer.toml --pupils 20
fi
trap 'kill 0' EXIT INT TERM
"$npo" producer serve --config config/producer.toml &
"$npo" platform serve --config config/platform.toml &
cat <<'TXT'
Producer: https://localhost:8443  (callers: the platform)
Platform: https://localhost:9443  (routing; client certificate from data/pki)
Admin:    http://127.0.0.1:9444/status  (Authorization: Bearer local-test-admin-token-change-me)
Try a routed call as the integration tester (see README "Quick start").
TXT
wait
