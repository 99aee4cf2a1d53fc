#!/usr/bin/env bash
# The push benchmark: builds Herald, fetches Netty for the fake providers into bench/push/lib, then runs
# bench/push/PushBench.java, which starts Herald in its JVM and the fake APNs, FCM and Web Push services
# (bench/push/FakeProviders.java) in a second JVM. Prints a markdown table and writes it, with the run's
# context, to bench/results/push.md.
#
#   bench/push/run.sh
#
# Environment:
#   JAVA_HOME                   used if it is a JDK 21 or newer; else temurin-25 or the newest JDK >= 21 under /usr/lib/jvm
#   HERALD_BENCH_DATABASE_URL   run against this PostgreSQL (jdbc:postgresql://… or postgres://user:pass@host/db) instead of
#                               an embedded one in a temporary directory. The benchmark adds ~110,000 users and devices and
#                               ~260,000 memberships to it and does not remove them: use a scratch database.
#   BENCH_JAVA_OPTS             extra JVM options (e.g. -Dbench.devices=10000 for a quick trial; results then say so;
#                               -Dbench.noWait=true skips waiting for other benchmarks to finish; -Dbench.threadDumps=true
#                               adds thread dumps of the pusher's virtual threads, which crashed Temurin 25.0.3 once)
#
# Takes about 4–5 minutes on 2 cores (after the build), longer while it waits for other benchmarks.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# shellcheck source=../lib.sh
. "$root/bench/lib.sh"
bench_use_jdk bench/push

revision="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
bench_build bench/push

# The fake providers (bench/push/FakeProviders.java) run in their own JVM on Netty's HTTP/2 codec, which Herald does not
# use: its jars are fetched into bench/push/lib for the fakes alone.
netty="4.2.18.Final"
lib="bench/push/lib"
# BoringSSL (tcnative: its classes and the linux-x86_64 native build) takes less CPU per TLS record than the JDK.
tcnative="2.0.84.Final"
for artifact in common buffer resolver transport transport-native-unix-common codec-base codec-compression codec-http codec-http2 handler \
        "tcnative-classes:$tcnative" "tcnative-boringssl-static:$tcnative:jar:linux-x86_64"; do
    case "$artifact" in
        *:*) coordinates="io.netty:netty-$artifact" ;;
        *) coordinates="io.netty:netty-$artifact:$netty" ;;
    esac
    name="${coordinates#io.netty:}"
    IFS=: read -r id version _ classifier <<< "$name"
    jar="$lib/$id-$version${classifier:+-$classifier}.jar"
    if [ ! -f "$jar" ]; then
        echo "bench/push: fetching $coordinates into $lib" >&2
        mvn -q -B dependency:copy "-Dartifact=$coordinates" "-DoutputDirectory=$lib"
    fi
done

java_cmd='java -Xmx4g -cp "target/herald.jar:target/libs/*" bench/push/PushBench.java'
# A JVM crash report goes to /tmp, not into the work tree.
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" -Xmx4g "-XX:ErrorFile=${TMPDIR:-/tmp}/hs_err_pushbench_%p.log" ${BENCH_JAVA_OPTS:-} \
    "-Dbench.command=bench/push/run.sh" "-Dbench.java=$java_cmd" "-Dbench.revision=$revision" \
    "-Dbench.fakes.source=bench/push/FakeProviders.java" "-Dbench.fakes.classpath=$lib/*" "-Dbench.netty=$netty" \
    -cp "target/herald.jar:target/libs/*" bench/push/PushBench.java
