#!/usr/bin/env bash
# The figures of docs/background/bands.md and docs/background/calibration.md, what the article's figures leave open:
#   1. the baseline with every parameter fixed (replication noise only) against the baseline drawn from the
#      calibration's posterior (parameter uncertainty and replication noise);
#   2. the effect of the policy push over the posterior: no-policy-push against the baseline, replication r
#      of both on the same posterior draw and the same random numbers, and the compare report's effect table.
#
#   bash experiments/showcase-posterior.sh [OUT_DIR]     # default results/showcase
#   REPLICATIONS=4 bash experiments/showcase-posterior.sh /tmp/showcase   # a quick check
#
# About five minutes on two cores with 100 replications per run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/showcase}
replications=${REPLICATIONS:-100}
posterior=${POSTERIOR:-scenarios/posterior/beijing-review-2012}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bandwagon run scenarios/baseline.yaml --replications "$replications" --out "$work/fixed" --no-progress
bandwagon run scenarios/baseline.yaml --posterior "$posterior" --replications "$replications" \
    --out "$work/posterior" --no-progress
bandwagon run scenarios/no-policy-push.yaml --posterior "$posterior" --replications "$replications" \
    --out "$work/no-policy-push" --no-progress
bandwagon compare "$work/fixed" "$work/posterior" --metric gov_accounts.sina --out "$work/bands"
bandwagon compare "$work/posterior" "$work/no-policy-push" --relative-to "$work/posterior" --out "$work/effect"

mkdir -p "$out"
place() { cp "$1" "$2.tmp" && mv "$2.tmp" "$2"; }    # a file appears whole or not at all
place "$work/bands/figures/gov_accounts.sina.png" "$out/posterior-bands.png"
place "$work/effect/figures/gov_accounts.sina.png" "$out/posterior-push-effect.png"
place "$work/effect/report.md" "$out/posterior-push-effect.md"
place "$work/effect/effects.csv" "$out/posterior-push-effect.csv"
echo "showcase -> $out/posterior-bands.png, posterior-push-effect.png, posterior-push-effect.md"
