#!/usr/bin/env bash
# The whole test suite: on SQLite always, then again on PostgreSQL + Redis when both answer
# on 127.0.0.1 (each run uses a throwaway database it creates and drops).
set -uo pipefail
cd "$(dirname "$0")"

python3 -m pip install -q -r requirements.txt >/dev/null 2>&1 || python3 -m pip install -q -r requirements.txt
pybabel compile -d translations >/dev/null || exit 1

echo "== SQLite, in-process jobs"
python3 -m pytest -q -p no:cacheprovider tests "$@"
rc=$?

if python3 - <<'PY'
import socket, sys
for port in (5432, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        sys.exit(1)
PY
then
  echo "== PostgreSQL + Redis"
  KAOSHENG_TEST_PG="${KAOSHENG_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}" \
  KAOSHENG_TEST_REDIS="${KAOSHENG_TEST_REDIS:-redis://127.0.0.1:6379/15}" \
    python3 -m pytest -q -p no:cacheprovider tests "$@" || rc=1
else
  echo "== PostgreSQL/Redis not reachable on 127.0.0.1: skipped that run"
fi
exit $rc
