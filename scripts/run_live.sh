#!/usr/bin/env bash
# Live trading is refused until every item of reports/02_acceptance_checklist.md passes.
# This script exists so nobody writes a "quick" one that skips the gate: it explains and
# exits non-zero; `ats run --live` refuses the same way.
cat >&2 <<'TXT'
Live trading is refused.
ATS trades real money only after every acceptance item in
reports/02_acceptance_checklist.md passes (coverage, a 24 h paper run, Grafana dashboards
live, one challenger through the research pipeline, docs), and no flag bypasses that.
Use scripts/run_paper.sh (paper fills) or scripts/run_paper_vst.sh (BingX virtual money).
TXT
exit 3
