#!/usr/bin/env bash
# One-time set-up of a fresh machine: system packages (CJK font, poppler, Chromium for the
# browser tests), Python packages, compiled translations, database schema and demo data.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="fonts-wqy-zenhei poppler-utils poppler-data chromium"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing \
      || echo "warning: could not install $missing; PDFs fall back to the STSong-Light CID font"
  fi
fi

python3 -m pip install -q -r requirements.txt
pybabel compile -d translations >/dev/null
export FLASK_APP=run.py
flask db upgrade
flask kaosheng seed-demo
echo
echo "Ready: python run.py, then open http://127.0.0.1:5000 (henan_admin / Demo-2026-ks)"
