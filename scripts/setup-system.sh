#!/usr/bin/env bash
# Install the Debian/Ubuntu packages voice-coach needs, but only the ones that are missing,
# so repeated `make run` / `make test` calls cost nothing once a machine is set up.
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "voice-coach: please install these system packages with your package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "voice-coach: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "voice-coach: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
