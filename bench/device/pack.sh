#!/usr/bin/env bash
# Packs everything the GPU machine needs into ONE archive, .dist/ger-device.tgz (the GPU machine has
# no Java and no Maven): a jlink'd Java 25 runtime, target/ger.jar, the test classes and test
# dependency jars, the JUnit Platform launcher, the compiled fatbin, and bench/device's two mains
# (DeviceTests: a JUnit runner; KernelTour: every op once / timed). Run HERE, from the repo root:
#
#   bench/device/pack.sh            # then carry nothing else: run.sh unpacks .dist/ger-device.tgz
#
# Maven runs online (a fresh machine's local repository lacks the plugins and the JUnit launcher; the
# pom pins every plugin), and DeviceTests uses junit-platform-launcher at the JUnit Platform version
# of the test classpath.
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
mvn -q -B package -DskipTests
mvn -q -B test-compile
mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$STAGE/test-classpath.txt"

echo "== jars"
cp target/ger.jar "$STAGE/"
# The demo's embedded model (7 MB) has no use on the GPU machine.
zip -q -d "$STAGE/ger.jar" 'models/*'

cp -r target/test-classes "$STAGE/test-classes"
# test dependencies only (the runtime ones are inside the shaded ger.jar)
# (only what the GPU tests load: JUnit, its platform, and EJML's float64 references)
tr ':' '\n' < "$STAGE/test-classpath.txt" | grep -E '/(junit-jupiter-api|junit-jupiter-engine|junit-jupiter-params|junit-platform-commons|junit-platform-engine|opentest4j|apiguardian|ejml)' | while read -r jar; do
  cp "$jar" "$STAGE/lib/"
done
JUNIT_PLATFORM=$(basename "$(ls "$STAGE"/lib/junit-platform-engine-*.jar)" .jar | sed 's/junit-platform-engine-//')
mvn -q -B dependency:copy -Dartifact="org.junit.platform:junit-platform-launcher:$JUNIT_PLATFORM" -DoutputDirectory="$STAGE/lib"
rm "$STAGE/test-classpath.txt"

# The commit every result of the GPU run records ("-dirty" when the tree had uncommitted changes).
echo "$(git rev-parse HEAD)$(git diff --quiet HEAD -- . ':!.dist' || echo -dirty)" > "$STAGE/COMMIT"

echo "== bench/device mains"
"$JAVA_BIN/javac" --release 25 -d "$STAGE/bench" -cp "$STAGE/ger.jar:$STAGE/lib/*" \
  bench/device/DeviceTests.java bench/device/KernelTour.java

echo "== runtime (jlink)"
MODULES=$("$JAVA_BIN/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
  "$STAGE/ger.jar" "$STAGE/test-classes" "$STAGE"/lib/*.jar "$STAGE/bench")
# jdk.zipfs: JUnit scans packages inside jars through the zip file system. Left out: java.desktop
# (the sweep's charts, which the GPU run does not draw; Jackson only probes java.beans) and java.sql
# (Jackson's optional date types): a third of the runtime.
MODULES=$(echo "$MODULES,jdk.incubator.vector,java.logging,jdk.unsupported,jdk.zipfs" | tr ',' '\n' \
  | grep -vx -e java.desktop -e java.sql | sort -u | paste -sd,)
echo "modules: $MODULES"
"$JAVA_BIN/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-9 --output "$STAGE/runtime"

echo "== archive"
tar -C .dist -czf .dist/ger-device.tgz ger-device
rm -rf "$STAGE"
SIZE=$(stat -c %s .dist/ger-device.tgz)
echo ".dist/ger-device.tgz: $((SIZE / 1024 / 1024)) MiB"
# 64 MiB may travel to the device machine; 40 leaves room for the results coming back and a rerun.
[ "$SIZE" -lt $((40 * 1024 * 1024)) ] || { echo "too big for the device machine (over 40 MiB)"; exit 1; }
