# Shared by the benchmark scripts (bench/*/run.sh); source it, do not run it.
#
#   . "$root/bench/lib.sh"
#   bench_use_jdk bench/chat     # exports JAVA_HOME and PATH for a JDK 21 or newer, or exits
#   bench_build bench/chat       # builds target/herald.jar and target/libs
#
# bench_use_jdk takes JAVA_HOME if it is a JDK 21 or newer; else temurin-25 or the newest JDK >= 21 under /usr/lib/jvm.
# The argument only prefixes the messages.

bench_java_major() { # prints the feature version of the JDK at $1, or nothing
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | awk -F'= ' '/java.specification.version/ { v = $2; sub(/^1\./, "", v); print v; exit }'
}

bench_is_jdk21() {
    local v
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && v="$(bench_java_major "$1")" && [ -n "$v" ] && [ "$v" -ge 21 ]
}

bench_use_jdk() {
    local name="$1" jdk="" best=0 candidate v
    if [ -n "${JAVA_HOME:-}" ] && bench_is_jdk21 "$JAVA_HOME"; then
        jdk="$JAVA_HOME"
    elif bench_is_jdk21 /usr/lib/jvm/temurin-25-jdk-amd64; then
        jdk=/usr/lib/jvm/temurin-25-jdk-amd64
    else
        for candidate in /usr/lib/jvm/*; do
            if bench_is_jdk21 "$candidate"; then
                v="$(bench_java_major "$candidate")"
                if [ "$v" -gt "$best" ]; then best="$v"; jdk="$candidate"; fi
            fi
        done
    fi
    if [ -z "$jdk" ]; then
        echo "$name: no JDK 21 or newer found (set JAVA_HOME)" >&2
        exit 1
    fi
    export JAVA_HOME="$jdk"
    export PATH="$JAVA_HOME/bin:$PATH"
    echo "$name: JDK $JAVA_HOME ($(bench_java_major "$JAVA_HOME"))" >&2
}

bench_build() {
    # maven.test.skip (rather than skipTests) also skips compiling the tests: the benchmarks need only target/herald.jar
    # and target/libs, and should not depend on the test sources compiling.
    echo "$1: mvn -q -B package -Dmaven.test.skip=true" >&2
    mvn -q -B package -Dmaven.test.skip=true
}
