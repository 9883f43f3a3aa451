#!/usr/bin/env bash
# `make run`: kreiswerk with its demo data and, unless a payment provider is configured, the local
# pay page (devtools/paypage.py, a test double of ePayBL) beside it, so demo fees can be paid, and
# the built-in test IdP standing in for BundID, so the citizen login can be tried.
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
# Citizen login: the built-in test IdP (a stand-in for BundID) unless a real provider is configured.
production="$(echo "${KREISWERK_PRODUCTION:-}" | tr '[:upper:]' '[:lower:]')"
case "$production" in 1|true|yes|on) ;; *)
  if [ -z "${KREISWERK_SAML_IDP_METADATA:-}${KREISWERK_OIDC_CITIZEN_ISSUER:-}" ]; then
    export KREISWERK_DEV_IDP="${KREISWERK_DEV_IDP:-true}"
    echo "Test-Anmeldedienst (kein echtes BundID) unter /anmeldung/test-idp/"
  fi
esac
$BIN/kreiswerk serve "$@"
