#!/bin/sh
# Measures `faultline shrink`: shrinks every invalid history of the shared
# Jepsen corpus, and every run directory given, and prints a Markdown table
# (history, operations of the failing key before and after, time taken,
# 1-minimal) and the median size after. A run that is not invalid is
# listed as refused.
#
#   scripts/shrink-table.sh [RUN_DIR ...]
#
# FAULTLINE is the binary (default: go run ./cmd/faultline, built once);
# CORPUS the Jepsen corpus (default: ../shared/conformance/jepsen-etcd).
# Needs jq. The corpus histories are copied into a temporary directory
# (shrink writes beside the history); run directories are shrunk in place.
set -eu
corpus=${CORPUS:-../shared/conformance/jepsen-etcd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=${FAULTLINE:-}
if [ -z "$bin" ]; then
	bin=$tmp/faultline
	go build -o "$bin" ./cmd/faultline
fi
afters=$tmp/afters

row() { # name dir
	set +e
	"$bin" shrink "$2" >"$tmp/out" 2>&1
	code=$?
	set -e
	if [ "$code" -ne 1 ]; then
		echo "| $1 | – | – | – | refused (exit $code): $(head -n 1 "$tmp/out") |"
		return
	fi
	jq -r --arg name "$1" '"| \($name) | \(.ops_before) | \(.ops_after) | \(.elapsed) | \(if .minimal then "yes" elif .timed_out then "no (time bound)" else "no" end) |"' "$2/shrunk.json"
	jq -r .ops_after "$2/shrunk.json" >>"$afters"
}

echo "| history | ops before | ops after | time | 1-minimal |"
echo "| --- | ---: | ---: | ---: | --- |"
if [ -f "$corpus/expected.json" ]; then
	for name in $(jq -r 'to_entries[] | select(.value == false) | .key' "$corpus/expected.json" | sort); do
		mkdir -p "$tmp/$name"
		cp "$corpus/$name" "$tmp/$name/history.jsonl"
		row "jepsen-etcd/$name" "$tmp/$name"
	done
fi
for dir in "$@"; do
	row "$(jq -r '.reproduce | sub("^faultline run "; "")' "$dir/run.json" 2>/dev/null || basename "$dir")" "$dir"
done
if [ -s "$afters" ]; then
	n=$(wc -l <"$afters")
	median=$(sort -n "$afters" | awk -v n="$n" '{ v[NR] = $1 } END { if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }')
	echo
	echo "$n histories shrunk; median operations after: $median"
fi
