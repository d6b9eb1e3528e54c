#!/bin/sh
# Makes sure promtool (Prometheus's rule checker, used by test/deploy/prometheus-rules.test.ts) is on PATH.
# Nothing to do when it is. Otherwise installs the Debian package `prometheus`, which provides it: as root, or
# through `sudo -n` (never asks for a password). Where neither works (no apt-get, no root), says how and exits 1.
set -eu

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi

howto() {
  echo "promtool not found: install the Debian package prometheus as root" >&2
  echo "  (apt-get update && apt-get install -y --no-install-recommends prometheus)," >&2
  echo "  or put promtool from https://prometheus.io/download/ on PATH." >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || howto
if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  howto
fi

echo "promtool not found: installing the Debian package prometheus" >&2
# Stale package lists are better than none: an update that fails still lets the install try.
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 || echo "apt-get update failed; trying the install with the package lists at hand" >&2
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus </dev/null >&2 || howto
command -v promtool >/dev/null 2>&1 || howto
