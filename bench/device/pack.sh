#!/usr/bin/env bash
# Packs everything the GPU machine needs into ONE archive, .dist/ger-device.tgz (the GPU machine has
# no Java and no Maven): a jlink'd Java 25 runtime, target/ger.jar, the test classes and test
# dependency jars, the JUnit Platform launcher, the compiled fatbin, and bench/device's two mains
# (DeviceTests: a JUnit runner; KernelTour: every op once / timed). Run HERE, from the repo root:
#
#   bench/device/pack.sh            # then carry nothing else: run.sh unpacks .dist/ger-device.tgz
#
# Offline: Maven runs with -o; junit-platform-console-standalone is not in the cache, so DeviceTests
# uses junit-platform-launcher (1.11.4, matching JUnit 5.11.4), which is.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA_BIN=$JAVA_HOME/bin
STAGE=.dist/ger-device
rm -rf "$STAGE" .dist/ger-device.tgz
mkdir -p "$STAGE/lib" "$STAGE/bench"

echo "== fatbin"
if command -v nvcc >/dev/null; then
  make -C native
  cp native/build/ger_kernels.fatbin "$STAGE/"
else
  echo "no nvcc: the GPU run compiles the kernels with NVRTC instead"
fi

echo "== maven: target/ger.jar and target/test-classes"
mvn -q -B -o package -DskipTests
mvn -q -B -o test-compile
mvn -q -B -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$STAGE/test-classpath.txt"

echo "== jars"
cp target/ger.jar "$STAGE/"
cp -r target/test-classes "$STAGE/test-classes"
# test dependencies only (the runtime ones are inside the shaded ger.jar)
tr ':' '\n' < "$STAGE/test-classpath.txt" | grep -E '/(junit|opentest4j|apiguardian|ejml)' | while read -r jar; do
  cp "$jar" "$STAGE/lib/"
done
JUNIT_PLATFORM=$(basename "$(ls "$STAGE"/lib/junit-platform-engine-*.jar)" .jar | sed 's/junit-platform-engine-//')
LAUNCHER=~/.m2/repository/org/junit/platform/junit-platform-launcher/$JUNIT_PLATFORM/junit-platform-launcher-$JUNIT_PLATFORM.jar
[ -f "$LAUNCHER" ] || { echo "missing $LAUNCHER (needed offline for the JUnit runner)"; exit 1; }
cp "$LAUNCHER" "$STAGE/lib/"
rm "$STAGE/test-classpath.txt"

echo "== bench/device mains"
"$JAVA_BIN/javac" --release 25 -d "$STAGE/bench" -cp "$STAGE/ger.jar:$STAGE/lib/*" \
  bench/device/DeviceTests.java bench/device/KernelTour.java

echo "== runtime (jlink)"
MODULES=$("$JAVA_BIN/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
  "$STAGE/ger.jar" "$STAGE/test-classes" "$STAGE"/lib/*.jar "$STAGE/bench")
# jdk.zipfs: JUnit scans packages inside jars through the zip file system
MODULES="$MODULES,jdk.incubator.vector,java.logging,jdk.unsupported,jdk.zipfs"
echo "modules: $MODULES"
"$JAVA_BIN/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-9 --output "$STAGE/runtime"

echo "== archive"
tar -C .dist -czf .dist/ger-device.tgz ger-device
rm -rf "$STAGE"
SIZE=$(stat -c %s .dist/ger-device.tgz)
echo ".dist/ger-device.tgz: $((SIZE / 1024 / 1024)) MiB"
[ "$SIZE" -lt $((60 * 1024 * 1024)) ] || { echo "too big for the device machine (60 MiB)"; exit 1; }
