# Sourced by run_paper.sh and run_paper_vst.sh: the checks both make before anything is
# written. Needs $run_id and $hours; sets $seconds (the run's --max-seconds).

# The run id names files (logs/<id>.log, reports/run_<id>/): the same safe alphabet as
# `ats run --run-id`, checked before tee writes anything.
if ! [[ "$run_id" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || [[ "$run_id" == *..* ]]; then
  echo "Error: RUN_ID '$run_id' is not a safe run id; use 1-64 letters, digits, '.', '_' or '-'" >&2
  exit 2
fi
seconds=$(python3 - "$hours" <<'PY'
import math, sys
try:
    h = float(sys.argv[1])
except ValueError:
    h = math.nan
if not (math.isfinite(h) and h > 0):
    sys.exit(f"Error: --hours {sys.argv[1]!r} is not a finite number > 0")
print(max(1, int(h * 3600)))
PY
) || exit 2
mkdir -p logs
