#!/usr/bin/env bash
# One-time set-up of a fresh machine: system packages (CJK font, poppler, Chromium for the
# browser tests), Python packages, compiled translations, database schema and demo data.
set -euo pipefail
cd "$(dirname "$0")"

./system_packages.sh

python3 -m pip install -q -r requirements.txt
pybabel compile -d translations >/dev/null
export FLASK_APP=run.py
ENV_NAME="${KAOSHENG_ENV:-development}"
echo "KAOSHENG_ENV: $ENV_NAME"
echo "database: $(python3 -c 'import config; from sqlalchemy.engine import make_url; print(make_url(config.SQLALCHEMY_DATABASE_URI).render_as_string(hide_password=True))')"
flask db upgrade
echo "schema: upgraded to the latest migration"
flask kaosheng init
if [ "$ENV_NAME" = development ]; then
  # Prints the demo users, their password and the candidate logins it created.
  flask kaosheng seed-demo
  echo
  echo "Ready: python run.py, then open http://127.0.0.1:5000 (henan_admin / Demo-2026-ks)"
else
  echo "demo data: not loaded (KAOSHENG_ENV=$ENV_NAME; seed-demo refuses outside development)."
  echo "Create the first administrator: flask kaosheng create-admin --username <name>"
fi
