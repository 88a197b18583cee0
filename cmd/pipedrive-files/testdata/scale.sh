#!/usr/bin/env bash
# Scale run of `pipedrive-files bulk` against `serve-fake --fixtures` (see BENCHMARKS.md):
# ROWS creates spread over ITEMS deals, WORKERS workers. With KILL_AFTER=SECONDS the bulk
# process is killed with SIGKILL after that long, then run again to the end. Finally every
# deal is listed and each title must be there exactly once. Prints the time, peak RSS,
# rows/s, requests and 429s of each bulk process. Run from the repository root:
#   ROWS=100000 bash cmd/pipedrive-files/testdata/scale.sh
#   ROWS=1000000 KILL_AFTER=120 bash cmd/pipedrive-files/testdata/scale.sh
set -euo pipefail
ROWS=${ROWS:-100000}
ITEMS=${ITEMS:-100}
WORKERS=${WORKERS:-8}
KILL_AFTER=${KILL_AFTER:-}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bulk-scale.XXXXXX")
fake_pid=
cleanup() { [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

go build -o "$dir/pipedrive-files" ./cmd/pipedrive-files
pf="$dir/pipedrive-files"
printf '{"deals":[%s],"persons":[],"organizations":[],"drive_files":[]}\n' "$(seq -s, 1 "$ITEMS")" >"$dir/fixtures.json"
{
	echo "action,item_type,item_id,file_type,title"
	seq 1 "$ROWS" | awk -v n="$ITEMS" '{ printf "create,deal,%d,gdoc,Doc %d\n", ($1 - 1) % n + 1, $1 }'
} >"$dir/plan.csv"

# The fake's own limits are lifted: this measures the bulk process, not Pipedrive's pacing.
"$pf" serve-fake --fixtures "$dir/fixtures.json" --rate-limit 100000000/2s --daily-budget 2000000000 >"$dir/env" 2>"$dir/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$dir/env")" -ge 2 ] && break; sleep 0.1; done
set -a; . "$dir/env"; set +a

# bulk_run NAME runs bulk once under /usr/bin/time, killed after KILL seconds if set.
bulk_run() {
	local name=$1 kill_after=${2:-}
	/usr/bin/time -v -o "$dir/$name.time" "$pf" bulk "$dir/plan.csv" --workers "$WORKERS" --json >"$dir/$name.json" 2>"$dir/$name.err" &
	local pid=$!
	if [ -n "$kill_after" ]; then
		sleep "$kill_after"
		pkill -KILL -P "$pid" || true # the bulk process, child of time
		wait "$pid" || true
		echo "$name: killed with SIGKILL after ${kill_after}s"
		return
	fi
	wait "$pid" || true
	local secs rss
	secs=$(jq .elapsed_seconds "$dir/$name.json")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$dir/$name.time")
	jq -r --arg rss "$rss" '"\(.rows) rows: done \(.done), skipped \(.skipped), failed \(.failed), unknown \(.unknown), not sent \(.not_sent); \(.elapsed_seconds | floor) s, \((.done / .elapsed_seconds) | floor) rows/s sent, peak RSS \($rss) MB, \(.requests) requests, \(.rate_limited) answered 429, exit \(.exit_code)"' "$dir/$name.json" | sed "s/^/$name: /"
}

if [ -n "$KILL_AFTER" ]; then
	bulk_run first "$KILL_AFTER"
	sleep 3 # pipedrive.SettleTime: a request sent after the last record may still land
fi
bulk_run run

# Every title exactly once, on the deal it was meant for.
for d in $(seq 1 "$ITEMS"); do "$pf" list --deal "$d" --json; done | jq -r '.[] | select(.active_flag) | .name' | sort | uniq -c | awk -v rows="$ROWS" '
	$1 != 1 { dup++ } { n++ } END { printf "check: %d distinct titles of %d rows, %d titles not exactly once\n", n, rows, dup; exit (n != rows || dup > 0) }'
