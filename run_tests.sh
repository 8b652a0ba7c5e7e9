#!/usr/bin/env bash
# The whole test suite: on SQLite always, then again on PostgreSQL when it answers on
# 127.0.0.1:5432 (a throwaway database it creates and drops), with rq jobs on Redis when
# :6379 answers too. Missing optional services skip that run or those tests, never fail.
# The SQLite run shuffles the tests (pytest-randomly) with a seed printed before the run, so a
# test leaning on another's data or on the order fails here rather than later; the
# PostgreSQL run keeps file order, so the two runs together cover both orders.
# KAOSHENG_TEST_SEED=N repeats the SQLite run of a printed seed; KAOSHENG_PG_ORDER=random
# shuffles the PostgreSQL run too (seed N+1). Arguments go to pytest (e.g. -k).
set -uo pipefail
cd "$(dirname "$0")"

./system_packages.sh  # fonts, poppler, Chromium when missing (tests skip what they lack)
python3 -m pip install -q -r requirements.txt >/dev/null 2>&1 || python3 -m pip install -q -r requirements.txt
pybabel compile -d translations >/dev/null || exit 1

answers() {
  python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $1), timeout=1).close()" \
    2>/dev/null
}

seed="${KAOSHENG_TEST_SEED:-$(( (RANDOM << 15) | RANDOM ))}"

# One pytest run in random order; 0 when it passed or selected no tests (exit code 5,
# e.g. a -k that matches nothing), 1 otherwise.
run() {
  local run_seed=$1
  shift
  if [ "$run_seed" = "file-order" ]; then
    echo "   file order"
    python3 -m pytest -q -p no:cacheprovider -p no:randomly "$@"
  else
    echo "   random order: --randomly-seed=$run_seed (repeat: KAOSHENG_TEST_SEED=$seed ./run_tests.sh)"
    python3 -m pytest -q -p no:cacheprovider -p randomly --randomly-seed="$run_seed" "$@"
  fi
  local status=$?
  if [ "$status" -eq 5 ]; then
    echo "   (no tests selected)"
    return 0
  fi
  [ "$status" -eq 0 ]
}

echo "== SQLite, in-process jobs"
rc=0
run "$seed" tests "$@" || rc=1

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
    run "$([ "${KAOSHENG_PG_ORDER:-file}" = random ] && echo $((seed + 1)) || echo file-order)" \
      tests "$@" || rc=1
else
  echo "== PostgreSQL not reachable on 127.0.0.1:5432: skipped that run"
fi
exit $rc
