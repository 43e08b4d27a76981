#!/usr/bin/env bash
# Compiles the Java client and its tests with javac and runs the JUnit 4 suite.
#   clients/java/build.sh [OUT_DIR]     (default clients/java/out)
# The live-server test runs only when TESSERA_BASE is set (tests/e2e/test_java_client.py
# sets it). JUNIT_JAR / HAMCREST_JAR override Debian's junit4 jars. Exit 0 when all pass.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "${1:-$here/out}" && cd "${1:-$here/out}" && pwd)
junit=${JUNIT_JAR:-/usr/share/java/junit4.jar}
hamcrest=${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}

rm -rf "$out/main" "$out/test"
mapfile -t main_sources < <(find "$here/src/main/java" -name '*.java')
mapfile -t test_sources < <(find "$here/src/test/java" -name '*.java')
javac --release 17 -Xlint:all -Werror -d "$out/main" "${main_sources[@]}"
javac --release 17 -Xlint:all -Werror -d "$out/test" -cp "$out/main:$junit" "${test_sources[@]}"

mapfile -t test_classes < <(cd "$here/src/test/java" && find . -name '*Test.java' |
    sed 's|^\./||; s|\.java$||; s|/|.|g' | sort)
# JDK 17 retries a failed connect on the closed channel and reports only the resulting
# ClosedChannelException (JDK-8361249); without the retry a failure names its real cause.
java -Djdk.httpclient.disableRetryConnect=true -cp "$out/main:$out/test:$junit:$hamcrest" \
    org.junit.runner.JUnitCore "${test_classes[@]}"
