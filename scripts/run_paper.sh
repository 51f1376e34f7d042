#!/usr/bin/env bash
# Paper run: trades the configured venue's quotes with simulated fills, keeps logs and
# metrics, and writes the run report at the end.
#   scripts/run_paper.sh [--hours H] [--adapter mock|mt5|bingx] [--speed X] [-- extra ats run args]
set -euo pipefail
hours=8
adapter=mock
speed=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hours) hours="$2"; shift 2 ;;
    --adapter) adapter="$2"; shift 2 ;;
    --speed) speed="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option: $1 (use --hours, --adapter, --speed, -- ...)" >&2; exit 2 ;;
  esac
done
run_id="${RUN_ID:-paper-$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=scripts/run_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run_common.sh"
echo "ATS paper run $run_id: adapter=$adapter hours=$hours speed=$speed metrics=127.0.0.1:${PROMETHEUS_PORT:-9464}"
set +e
ats run --paper --adapter "$adapter" --speed "$speed" --max-seconds "$seconds" \
  --run-id "$run_id" --metrics-port "${PROMETHEUS_PORT:-9464}" \
  --telemetry "logs/${run_id}.csv" "${extra[@]}" 2>&1 | tee "logs/${run_id}.log"
rc=${PIPESTATUS[0]}
# 2 (usage/config) and 3 (live refused) mean the run never started: there is no report to
# write, and the script must exit with ats's own code (3 for a live request), not report's.
if [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ]; then
  exit "$rc"
fi
ats report "$run_id" || echo "warning: the report for $run_id could not be written" >&2
set -e
exit "$rc"
