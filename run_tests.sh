#!/usr/bin/env bash
# The whole test suite: on SQLite always, then again on PostgreSQL when it answers on
# 127.0.0.1:5432 (a throwaway database it creates and drops), with rq jobs on Redis when
# :6379 answers too. Missing optional services skip that run or those tests, never fail.
set -uo pipefail
cd "$(dirname "$0")"

python3 -m pip install -q -r requirements.txt >/dev/null 2>&1 || python3 -m pip install -q -r requirements.txt
pybabel compile -d translations >/dev/null || exit 1

answers() {
  python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $1), timeout=1).close()" \
    2>/dev/null
}

echo "== SQLite, in-process jobs"
python3 -m pytest -q -p no:cacheprovider tests "$@"
rc=$?

if answers 5432; then
  redis=""
  if answers 6379; then
    redis="${KAOSHENG_TEST_REDIS:-redis://127.0.0.1:6379/15}"
    echo "== PostgreSQL, jobs on Redis"
  else
    echo "== PostgreSQL, in-process jobs (Redis not reachable on 127.0.0.1:6379)"
  fi
  KAOSHENG_TEST_PG="${KAOSHENG_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}" \
  KAOSHENG_TEST_REDIS="$redis" \
    python3 -m pytest -q -p no:cacheprovider tests "$@" || rc=1
else
  echo "== PostgreSQL not reachable on 127.0.0.1:5432: skipped that run"
fi
exit $rc
