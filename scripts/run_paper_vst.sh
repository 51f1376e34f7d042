#!/usr/bin/env bash
# Virtual-money run on BingX VST: orders go to BingX's virtual account and every order,
# position and fill is tagged with VIRTUAL_ASSET. Needs BINGX_API_KEY / BINGX_API_SECRET
# (environment or .env).
#   scripts/run_paper_vst.sh [--hours H] [-- extra ats run args]
set -euo pipefail
hours=8
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hours) hours="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option: $1 (use --hours, -- ...)" >&2; exit 2 ;;
  esac
done
export USE_VIRTUAL_TRADING=true
export VIRTUAL_ASSET="${VIRTUAL_ASSET:-VST}"
run_id="${RUN_ID:-vst-$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=scripts/run_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/run_common.sh"
echo "ATS VST run $run_id: hours=$hours virtual asset=$VIRTUAL_ASSET"
set +e
ats run --mode vst --adapter bingx --speed 1 --max-seconds "$seconds" --run-id "$run_id" \
  --metrics-port "${PROMETHEUS_PORT:-9464}" --telemetry "logs/${run_id}.csv" "${extra[@]}" \
  2>&1 | tee "logs/${run_id}.log"
rc=${PIPESTATUS[0]}
# 2 (usage/config) and 3 (live refused): the run never started, keep ats's exit code.
if [ "$rc" -eq 2 ] || [ "$rc" -eq 3 ]; then
  exit "$rc"
fi
ats report "$run_id" || echo "warning: the report for $run_id could not be written" >&2
set -e
exit "$rc"
