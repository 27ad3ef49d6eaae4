#!/usr/bin/env bash
# The ONE script for the GPU machine (no Java, no Maven there): run from the repo root with $OUT set,
# after bench/device/pack.sh made .dist/ger-device.tgz here and the call carried it:
#
#   run(command="bench/device/run.sh", carry=[".dist/ger-device.tgz"], timeout_s=600)
#
# Steps, each under `timeout` so one hang cannot eat the budget (expected total ~3 minutes):
#   1. environment (nvidia-smi, libraries, the carried java)     -> run.log
#   2. the CUDA tests (JUnit, ger.backend.cuda.*)                 -> tests.log
#   3. KernelTour: every op timed with CUDA events                -> tour.log
#   4. ger validate --backend cuda --against java (if the CLI has it) -> validate.log
#   5. ncu SpeedOfLight on each of ger's kernels, KernelTour once -> ncu.log (+ CSV), kernels.ncu-rep
#   6. compute-sanitizer memcheck on the conformance + backend tests -> sanitizer.log
# At most 7 files come back, all under $OUT. Exit status: 0 when the tests and memcheck passed.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ger-out}
mkdir -p "$OUT"
LOG=$OUT/run.log
: > "$LOG"
D=/tmp/ger-device
CUDA_LIB=/usr/local/cuda-13.0/targets/x86_64-linux/lib
export LD_LIBRARY_PATH=$CUDA_LIB:${LD_LIBRARY_PATH:-}
export PATH=/usr/local/cuda/bin:$PATH

say() { echo "$*" | tee -a "$LOG"; }

# step NAME LIMIT_S LOGFILE COMMAND...: runs under timeout, appends rc and seconds to run.log
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local start=$SECONDS
  timeout -k 10 "$limit" "$@" >> "$log" 2>&1
  local rc=$?
  say "step $name: rc=$rc in $((SECONDS - start)) s$([ $rc -eq 124 ] && echo ' (TIMED OUT)')"
  return $rc
}

say "== unpack"
rm -rf "$D"
tar -C /tmp -xzf .dist/ger-device.tgz || { say "cannot unpack .dist/ger-device.tgz (run bench/device/pack.sh and carry it)"; exit 2; }
JAVA=("$D/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx8g)
[ -f "$D/ger_kernels.fatbin" ] && JAVA+=("-Dger.cuda.fatbin=$D/ger_kernels.fatbin")
CP="$D/bench:$D/test-classes:$D/ger.jar:$D/lib/*"

say "== environment"
{
  nvidia-smi
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  ls "$CUDA_LIB" | grep -E 'libcublas|libcusolver|libnvrtc|libnvtx' ; ls -l /usr/lib*/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null
  "${JAVA[0]}" -version
  command -v ncu compute-sanitizer
} >> "$LOG" 2>&1

say "== tests"
step tests 180 "$OUT/tests.log" "${JAVA[@]}" -cp "$CP" DeviceTests package:ger.backend.cuda
TESTS_RC=$?
grep -E "tests (successful|failed|skipped|aborted)|tests found" "$OUT/tests.log" | tee -a "$LOG"

say "== kernel tour (timings)"
step tour 90 "$OUT/tour.log" "${JAVA[@]}" -cp "$CP" KernelTour

say "== validate"
if "${JAVA[@]}" -jar "$D/ger.jar" validate --help > /dev/null 2>&1; then
  # >>> LEAD: the validate command on a small generated problem; adjust the options to the CLI <<<
  step validate 90 "$OUT/validate.log" "${JAVA[@]}" -jar "$D/ger.jar" \
    validate --backend cuda --against java
else
  say "no 'validate' command in ger.jar yet: skipped"
fi

say "== ncu (SpeedOfLight, each ger kernel)"
KERNELS=$(grep -ho 'extern "C" __global__ void [a-z_0-9]*' kernels/cuda/*.cu | awk '{print $5}' | paste -sd'|')
if command -v ncu > /dev/null; then
  step ncu 120 "$OUT/ncu.log" ncu --target-processes all --kernel-name-base function -k "regex:^($KERNELS)$" \
    -c 80 --section SpeedOfLight -f -o "$OUT/kernels" "${JAVA[@]}" -cp "$CP" KernelTour once
  [ -f "$OUT/kernels.ncu-rep" ] && timeout 60 ncu --import "$OUT/kernels.ncu-rep" --csv --page details >> "$OUT/ncu.log" 2>&1
else
  say "no ncu on PATH: skipped"
fi

say "== compute-sanitizer memcheck"
if command -v compute-sanitizer > /dev/null; then
  step memcheck 180 "$OUT/sanitizer.log" compute-sanitizer --tool memcheck --target-processes all --print-limit 30 --error-exitcode 99 \
    "${JAVA[@]}" -cp "$CP" DeviceTests class:ger.backend.cuda.CudaBackendConformanceTest class:ger.backend.cuda.CudaBackendTest
  SANITIZER_RC=$?
  grep -E "ERROR SUMMARY|tests (successful|failed)" "$OUT/sanitizer.log" | tee -a "$LOG"
else
  SANITIZER_RC=0
  say "no compute-sanitizer on PATH: skipped"
fi

say "== done: tests rc=$TESTS_RC, memcheck rc=$SANITIZER_RC"
[ "$TESTS_RC" -eq 0 ] && [ "$SANITIZER_RC" -eq 0 ]
