#!/usr/bin/env bash
# Installs the system tools the test suite drives for real: Prometheus (promtool), Alertmanager (amtool),
# Chromium (browser tests) and yamllint. Skips what is already there. Needs root (or sudo) and Debian's packages.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v yamllint >/dev/null 2>&1 || need+=(yamllint)

if [ ${#need[@]} -eq 0 ]; then
  echo "setup: prometheus, alertmanager, chromium and yamllint are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian package starts services on install where an init system runs; the tests start their own.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
  $sudo systemctl stop "$svc" >/dev/null 2>&1 || true
done
echo "setup: done"
