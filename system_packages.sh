#!/usr/bin/env bash
# Debian packages the product and its tests need, installed when missing (as root, where
# apt-get exists; elsewhere it says what to install): the CJK fonts for PDFs (wqy-zenhei, and
# hanazono for CJK Extension B names), poppler for the PDF checks, Chromium for the browser
# tests. Used by setup.sh and run_tests.sh.
APT_PACKAGES="fonts-wqy-zenhei fonts-hanazono poppler-utils poppler-data chromium"
missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -z "$missing" ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
    >/dev/null 2>&1 \
    || echo "warning: could not install $missing; PDFs fall back to the STSong-Light CID font"
else
  echo "note: install these Debian packages for full PDF and browser coverage: $missing"
fi
exit 0
