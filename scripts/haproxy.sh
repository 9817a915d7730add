#!/usr/bin/env bash
# Install HAProxy from Debian packages (if missing): the load balancer in front of several app
# nodes (docs/deployment.md). The test suite only needs the binary: its several-nodes test starts
# its own HAProxy with a configuration of its own. Needs root or sudo the first time.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >&2
  # The package enables a system service with its default configuration; onestop's test starts
  # its own, so the packaged one is stopped when there is a service manager to stop it.
  $SUDO systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
