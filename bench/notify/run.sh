#!/usr/bin/env bash
# The notifications benchmark: builds Herald, then runs bench/notify/NotifyBench.java against it in one JVM.
# Prints a markdown table and writes it, with the run's context, to bench/results/notify.md.
#
#   bench/notify/run.sh
#
# Environment:
#   JAVA_HOME                   used if it is a JDK 21 or newer; else temurin-25 or the newest JDK >= 21 under /usr/lib/jvm
#   HERALD_BENCH_DATABASE_URL   run against this PostgreSQL (jdbc:postgresql://… or postgres://user:pass@host/db) instead of
#                               an embedded one in a temporary directory. The benchmark adds ~1,000,000 users, memberships
#                               and notifications to it and does not remove them: use a scratch database.
#   BENCH_JAVA_OPTS             extra JVM options (e.g. -Dbench.members=10000 for a quick trial; results then say so)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

# shellcheck source=../lib.sh
. "$root/bench/lib.sh"
bench_use_jdk bench/notify

revision="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
bench_build bench/notify

java_cmd='java -Xmx4g -cp "target/herald.jar:target/libs/*" bench/notify/NotifyBench.java'
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" -Xmx4g ${BENCH_JAVA_OPTS:-} \
    "-Dbench.command=bench/notify/run.sh" "-Dbench.java=$java_cmd" "-Dbench.revision=$revision" \
    -cp "target/herald.jar:target/libs/*" bench/notify/NotifyBench.java
