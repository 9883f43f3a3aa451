#!/usr/bin/env bash
# `make run`: kreiswerk with its demo data and, unless a payment provider is configured, the local
# pay page (devtools/paypage.py, a test double of ePayBL) beside it, so demo fees can be paid.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -z "${KREISWERK_PAYMENT_PROVIDER+set}" ]; then
  port="${KREISWERK_PAYPAGE_PORT:-8098}"
  secret="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  $BIN/python -m devtools.paypage --port "$port" --client-id kreiswerk-demo --client-secret "$secret" \
    --notify-url "http://127.0.0.1:8000/zahlung/benachrichtigung/epaybl/" &
  paypage=$!
  trap 'kill "$paypage" 2>/dev/null || true' EXIT
  export KREISWERK_PAYMENT_PROVIDER=epaybl KREISWERK_EPAYBL_URL="http://127.0.0.1:$port/" \
    KREISWERK_EPAYBL_CLIENT_ID=kreiswerk-demo KREISWERK_EPAYBL_CLIENT_SECRET="$secret" \
    KREISWERK_EPAYBL_ORIGINATOR_ID=musterkreis KREISWERK_EPAYBL_ENDPOINT_ID=demo
  echo "Testzahlstelle (kein echter Zahlungsdienst) auf http://127.0.0.1:$port/"
fi
$BIN/kreiswerk serve "$@"
