#!/usr/bin/env bash
# Serving load: a 100-item feed from feedwright, with and without If-None-Match, side by side in the
# same run with nginx serving the same feed bytes as a static file; then feedwright's resident memory
# with 1,000 configured feeds after they all refreshed.
#
#   apt-get install nginx-light wrk      # once
#   cargo build --release
#   benches/serve-load.sh [seconds per wrk run, default 10]
#
# nginx runs one worker per core with sendfile, as a tuned static server would.
# Everything listens on 127.0.0.1 only: a Python http.server is the origin, feedwright and nginx serve.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
bin=target/release/feedwright
[ -x "$bin" ] || { echo "build first: cargo build --release"; exit 2; }
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "install nginx-light and wrk first"; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"   # nginx's workers run as an unprivileged user and must read the feed file
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The origin: a listing page of 100 items, in the Japan News list markup.
mkdir -p "$work/origin/list" "$work/config/sites" "$work/data"
python3 - "$work/origin/list/index.html" <<'PY'
import sys
items = "".join(
    f'<li class="clearfix"><a href="/articles/{n}/"><figure><img src="/img/{n}.jpg" alt=""></figure>'
    f'<div><h2>Benchmark story number {n} with a reasonably long headline</h2>'
    f'<h3>An excerpt of about two lines of text for story {n}, as list pages show under each headline.</h3>'
    f'<p>November {1 + n % 28}, 2026</p></div></a></li>\n'
    for n in range(100)
)
open(sys.argv[1], "w").write(f"<html><head><meta charset=utf-8><title>list</title></head><body><ul>{items}</ul></body></html>")
PY
origin_port=18190
python3 -m http.server "$origin_port" --bind 127.0.0.1 --directory "$work/origin" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

site() { # site id, number of feeds
  {
    printf 'title = "Bench %s"\nhome = "http://127.0.0.1:%s/"\ntimezone = "Asia/Tokyo"\ndate_formats = ["%%B %%d, %%Y"]\n' "$1" "$origin_port"
    printf '[fields]\ntitle = "a h2"\nlink = "a@href"\nsummary = "a h3"\ndate = "a p"\nimage = "figure img@src"\n'
    printf '[[feed]]\neach = [%s]\nid = "feed-{value}"\nurl = "/list/"\nitems = "li.clearfix"\n' "$(seq -s, -f '"%g"' 1 "$2")"
  } > "$work/config/sites/$1.toml"
}
settings='[limits]\nper_host_interval = "0s"\nper_host_concurrency = 8\nmax_items_per_feed = 500\n'

echo "== throughput: one 100-item feed"
site bench 1
printf "listen = \"127.0.0.1:18191\"\ndata_dir = \"$work/data\"\n$settings" > "$work/config/feedwright.toml"
"$bin" refresh --config "$work/config" >/dev/null
RUST_LOG=warn "$bin" serve --config "$work/config" >/dev/null 2>&1 &
pids+=($!)
sleep 1
url=http://127.0.0.1:18191/feeds/bench/feed-1.rss
curl -s -D "$work/headers" -o "$work/root/feed.rss" --create-dirs "$url"
etag=$(grep -i '^etag:' "$work/headers" | tr -d '\r' | cut -d' ' -f2)
echo "feed: $(grep -c '<item>' "$work/root/feed.rss") items, $(stat -c %s "$work/root/feed.rss") bytes, ETag $etag"

cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=16;
  types { application/rss+xml rss; }
  server {
    listen 127.0.0.1:18192;
    root $work/root;
    etag on;
    location / { }
  }
}
NGINX
chmod -R a+rX "$work/root"
nginx -c "$work/nginx.conf"
sleep 0.5
nginx_etag=$(curl -s -D - -o /dev/null http://127.0.0.1:18192/feed.rss | grep -i '^etag:' | tr -d '\r' | cut -d' ' -f2 || true)
[ -n "$nginx_etag" ] || { echo "nginx does not serve the feed:"; cat "$work/nginx-error.log"; exit 1; }

bench() { # label, url, [header]
  local rps
  if [ $# -eq 3 ]; then rps=$(wrk -t2 -c64 -d"${duration}s" -H "$3" "$2" | awk '/Requests\/sec/ { print $2 }')
  else rps=$(wrk -t2 -c64 -d"${duration}s" "$2" | awk '/Requests\/sec/ { print $2 }'); fi
  printf '%-40s %10s req/s\n' "$1" "$rps" >&2
  echo "$rps"
}
fw_full=$(bench "feedwright, full body" "$url")
ng_full=$(bench "nginx, full body (same bytes)" http://127.0.0.1:18192/feed.rss)
fw_304=$(bench "feedwright, If-None-Match (304)" "$url" "If-None-Match: $etag")
ng_304=$(bench "nginx, If-None-Match (304)" http://127.0.0.1:18192/feed.rss "If-None-Match: $nginx_etag")
python3 -c "print(f'feedwright/nginx: full body {$fw_full/$ng_full:.2f}, 304 {$fw_304/$ng_304:.2f}')"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

echo "== memory: 1,000 feeds after they refreshed"
rm -f "$work/config/sites/bench.toml"
for n in 1 2 3 4 5 6 7 8 9 10; do site "site$n" 100; done
printf "listen = \"127.0.0.1:18193\"\ndata_dir = \"$work/data-1000\"\nmax_concurrent_refreshes = 8\n$settings" > "$work/config/feedwright.toml"
RUST_LOG=warn "$bin" serve --config "$work/config" >/dev/null 2>&1 &
server=$!
pids+=($server)
started=$(date +%s)
while true; do
  done_feeds=$(curl -s http://127.0.0.1:18193/api/status | python3 -c 'import json,sys; print(sum(1 for f in json.load(sys.stdin)["feeds"] if f["last_success"]))' 2>/dev/null || echo 0)
  [ "$done_feeds" -ge 1000 ] && break
  [ $(( $(date +%s) - started )) -gt 600 ] && { echo "only $done_feeds feeds refreshed in 10 minutes"; break; }
  sleep 2
done
echo "refreshed $done_feeds feeds in $(( $(date +%s) - started )) s"
echo "resident memory after the refreshes: $(( $(awk '/VmRSS/ { print $2 }' "/proc/$server/status") / 1024 )) MB"
# Serve every feed in every format, as readers would, so the render cache is as full as it gets.
for n in $(seq 1 10); do for f in $(seq 1 100); do for ext in rss atom json; do
  curl -s -o /dev/null "http://127.0.0.1:18193/feeds/site$n/feed-$f.$ext"
done; done; done
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$server/status")
hwm_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")
echo "resident memory after serving all 3,000 feed URLs: $(( rss_kb / 1024 )) MB now, $(( hwm_kb / 1024 )) MB peak"
