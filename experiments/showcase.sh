#!/usr/bin/env bash
# The README's figure: verified government accounts on Sina Weibo in the baseline and in the two
# counterfactuals (no policy push, no imitation), with each counterfactual's difference from the
# baseline and its 90% confidence band (paired by replication: the runs share their seed).
#
#   bash experiments/showcase.sh [OUT.png]      # default results/showcase/baseline-vs-counterfactuals.png
#   REPLICATIONS=2 bash experiments/showcase.sh /tmp/showcase.png   # a quick check, e.g. in CI
#
# Two to three minutes on two cores with the scenarios' 20 replications.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/showcase/baseline-vs-counterfactuals.png}
replications=${REPLICATIONS:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for scenario in baseline no-policy-push no-imitation; do
    bandwagon run "scenarios/$scenario.yaml" --replications "$replications" --out "$work/$scenario" --no-progress
done
bandwagon compare "$work/baseline" "$work/no-policy-push" "$work/no-imitation" --relative-to "$work/baseline" \
    --metric gov_accounts.sina --out "$work/compare"
mkdir -p "$(dirname "$out")"
cp "$work/compare/figures/gov_accounts.sina.png" "$out.tmp" && mv "$out.tmp" "$out"
echo "showcase -> $out"
