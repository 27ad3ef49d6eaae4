#!/usr/bin/env bash
# The ONE script for the GPU machine (no Java, no Maven there): run from the repo root with $OUT set,
# after bench/device/pack.sh made .dist/ger-device.tgz here and the call carried it:
#
#   run(command="bench/device/run.sh STEP...", carry=[".dist/ger-device.tgz"], timeout_s=600)
#
# Steps (all when none is named), each under `timeout` so one hang cannot eat the budget:
#   tests     the CUDA tests (JUnit, ger.backend.cuda.*)                         -> tests.log
#   opencl    the OpenCL tests on NVIDIA's OpenCL driver                         -> tests.log
#   validate  ger validate cuda and opencl against java on a small workload;
#             PyTorch loads a compressed file as nn.Linear pairs                 -> validate.log
#   bench     ger bench and the PyTorch peer side by side (AlexNet, VGG-19),
#             OpenCL and CUDA on the same small job                              -> bench.log, results.tgz
#   precision VGG-19 with 3xTF32 and with TF32 GEMMs (ger --gemm), the peer with TF32 -> bench.log, results.tgz
#   budget    AS and GER on VGG-19 (n = 16,384): --rate 10, 16, 32 against the uniform --rank 292, 182, 91
#             that store at least as many weights (bench/results/budget.md)          -> budget.log
#   gram      VGG-19 at n = 100,000: the Gram in blocks of 32,768 rows (SYRK, beta = 1) -> bench.log, results.tgz
#   stream    the rows in host memory, through the GPU in chunks (--stream-rows):
#             validate against java, and VGG-19 n=32,768 beside the resident run  -> validate.log, bench.log
#   tour      KernelTour: every op timed with CUDA events                        -> ncu.log
#   ncu       ncu SpeedOfLight on each of ger's kernels (KernelTour once)        -> ncu.log
#   memcheck  compute-sanitizer memcheck on the conformance + backend tests      -> tests.log
# At most 8 files come back, all under $OUT. Exit status: 0 when every step passed. Each call ends by
# itself in END seconds (below), so all the steps take two calls, e.g.
#   run.sh tests validate bench        then        run.sh precision budget gram stream ncu memcheck
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

# step NAME LIMIT_S LOGFILE COMMAND...: runs under timeout, appends rc and seconds to run.log.
# The whole script ends by itself END seconds after it starts (default 330: under 6 minutes, so that a
# rerun fits in the device time): each step's limit is cut to what is left before END less a margin
# for the kill and the results, and a step that would get under 20 s is skipped.
END=${END:-330}
MARGIN=15
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((END - MARGIN - SECONDS))
  if [ "$left" -lt 20 ]; then
    say "step $name: skipped (${left} s left before the ${END} s end)"
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local start=$SECONDS
  timeout -k 5 "$limit" "$@" >> "$log" 2>&1
  local rc=$?
  say "step $name: rc=$rc in $((SECONDS - start)) s$([ $rc -eq 124 ] && echo ' (TIMED OUT)')"
  return $rc
}

say "== unpack"
rm -rf "$D"
tar -C /tmp -xzf .dist/ger-device.tgz || { say "cannot unpack .dist/ger-device.tgz (run bench/device/pack.sh and carry it)"; exit 2; }
JAVA=("$D/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx8g
      "-Dger.commit=$(cat "$D/COMMIT")")
say "commit $(cat "$D/COMMIT")"
[ -f "$D/ger_kernels.fatbin" ] && JAVA+=("-Dger.cuda.fatbin=$D/ger_kernels.fatbin")
CP="$D/bench:$D/test-classes:$D/ger.jar:$D/lib/*"

STEPS=${*:-tests opencl validate bench precision budget gram stream tour ncu memcheck}
FAILED=0
has() { [[ " $STEPS " == *" $1 "* ]]; }

say "== environment (steps: $STEPS)"
{
  nvidia-smi
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  ls "$CUDA_LIB" | grep -E 'libcublas|libcusolver|libnvrtc|libnvtx|libOpenCL' ; ls -l /usr/lib*/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null
  "${JAVA[0]}" -version
  command -v ncu compute-sanitizer python3
} >> "$LOG" 2>&1

# NVIDIA's OpenCL: JOCL opens libOpenCL.so (only libOpenCL.so.1 is there) and the ICD loader must be
# told of libnvidia-opencl.so.1 (/etc/OpenCL/vendors lists only PoCL).
OCL=/tmp/ger-opencl
mkdir -p "$OCL/vendors"
ln -sf "$CUDA_LIB/libOpenCL.so.1" "$OCL/libOpenCL.so"
echo libnvidia-opencl.so.1 > "$OCL/vendors/nvidia.icd"
# libjsig: the NVIDIA OpenCL driver installs signal handlers of its own; without chaining, the JVM's
# own SIGSEGV (safepoint polls) kills the process outright.
OCL_ENV=(env LD_LIBRARY_PATH="$OCL:$LD_LIBRARY_PATH" OCL_ICD_VENDORS="$OCL/vendors" LD_PRELOAD="$D/runtime/lib/libjsig.so")
GER=("${JAVA[@]}" -jar "$D/ger.jar")

if has tests; then
  say "== CUDA tests"
  step tests 240 "$OUT/tests.log" "${JAVA[@]}" -cp "$CP" DeviceTests package:ger.backend.cuda || FAILED=1
  grep -E "tests (successful|failed|skipped|aborted)|tests found" "$OUT/tests.log" | tee -a "$LOG"
fi

if has opencl; then
  say "== OpenCL tests on the NVIDIA driver"
  echo "==== OpenCL" >> "$OUT/tests.log"
  step opencl 180 "$OUT/tests.log" "${OCL_ENV[@]}" "${JAVA[@]}" -cp "$CP" DeviceTests package:ger.backend.opencl || FAILED=1
  "${OCL_ENV[@]}" "${GER[@]}" info --devices >> "$LOG" 2>&1
fi

V=/tmp/ger-validate
R=/tmp/ger-results
mkdir -p "$R"

if has validate; then
  say "== validate"
  step export 60 "$OUT/validate.log" "${GER[@]}" bench --workload small --n 3000 --backend cuda --export "$V" || FAILED=1
  for method in lrd as ger pq; do
    step "validate-cuda-$method" 120 "$OUT/validate.log" "${GER[@]}" validate --backend cuda --against java \
      --model "$V/model.safetensors" --calib "$V/calib.npy" --method $method --rank 32 --lambda-schedule 0.01x3,1x3 --epochs 3 || FAILED=1
  done
  step validate-opencl-ger 180 "$OUT/validate.log" "${OCL_ENV[@]}" "${GER[@]}" validate --backend opencl --against java \
    --model "$V/model.safetensors" --calib "$V/calib.npy" --method ger --rank 32 --lambda-schedule 0.01x3,1x3 --epochs 3 || FAILED=1
  step compress 60 "$OUT/validate.log" "${GER[@]}" compress --backend cuda --model "$V/model.safetensors" \
    --calib "$V/calib.npy" --method ger --rank 32 --lambda-schedule 0.01x3,1x3 --epochs 3 --out "$V/c.safetensors" || FAILED=1
  step pytorch-load 60 "$OUT/validate.log" python3 bench/device/load_in_pytorch.py "$V/model.safetensors" \
    "$V/c.safetensors" "$V/calib.npy" || FAILED=1
  grep -E "max relative difference|step " "$OUT/validate.log" | tee -a "$LOG"
fi

if has bench; then
  say "== bench: ger and the PyTorch peer on the same GPU"
  export PYTHONUNBUFFERED=1
  step bench-cuda-small 60 "$OUT/bench.log" "${GER[@]}" bench --workload small --n 8192 --rank 64 --backend cuda --out "$R/cuda-small.json"
  for job in "alexnet 20000" "vgg19 32768"; do
    set -- $job
    step "bench-ger-$1" 150 "$OUT/bench.log" "${GER[@]}" bench --workload "$1" --n "$2" --rank 256 --backend cuda --out "$R/ger-$1.json"
    step "bench-peer-$1" 150 "$OUT/bench.log" python3 bench/peer/ger_peer.py --workload "$1" --n "$2" --rank 256 --out "$R/peer-$1.json"
    python3 bench/peer/compare.py --ger "$R/ger-$1.json" --peer "$R/peer-$1.json" --out "$R/gpu-$1.json" >> "$OUT/bench.log" 2>&1
  done
  step bench-opencl-small 120 "$OUT/bench.log" "${OCL_ENV[@]}" "${GER[@]}" bench --workload small --n 8192 --rank 64 \
    --backend opencl --no-roofline --out "$R/opencl-small.json"
  tar -C "$R" -czf "$OUT/results.tgz" .
fi

if has precision; then
  say "== GEMM precision: VGG-19 with 3xTF32 and TF32 (the peer with TF32 too)"
  for p in 3xtf32 tf32; do
    step "bench-ger-vgg19-$p" 120 "$OUT/bench.log" "${GER[@]}" bench --workload vgg19 --n 32768 --rank 256 --backend cuda \
      --gemm "$p" --no-roofline --out "$R/ger-vgg19-$p.json" || FAILED=1
  done
  step bench-peer-vgg19-tf32 150 "$OUT/bench.log" python3 bench/peer/ger_peer.py --workload vgg19 --n 32768 --rank 256 --tf32 \
    --out "$R/peer-vgg19-tf32.json"
  tar -C "$R" -czf "$OUT/results.tgz" .
fi

if has budget; then
  say "== size budgets against uniform ranks: AS and GER on VGG-19"
  B=/tmp/ger-budget
  step export-vgg19 90 "$OUT/budget.log" "${GER[@]}" bench --workload vgg19 --n 16384 --backend cuda --export "$B" || FAILED=1
  for method in as ger; do
    for pair in "10 292" "16 182" "32 91"; do
      set -- $pair
      step "budget-$method-$1x" 60 "$OUT/budget.log" "${GER[@]}" compress --backend cuda --model "$B/model.safetensors" \
        --calib "$B/calib.npy" --method $method --rate "$1" --out "$B/$method-rate$1.safetensors" || FAILED=1
      step "uniform-$method-k$2" 60 "$OUT/budget.log" "${GER[@]}" compress --backend cuda --model "$B/model.safetensors" \
        --calib "$B/calib.npy" --method $method --rank "$2" --out "$B/$method-k$2.safetensors" || FAILED=1
    done
  done
  grep -E "output relative error|ranks chosen" "$OUT/budget.log" | tee -a "$LOG"
fi

if has gram; then
  say "== the blocked Gram: VGG-19 at n = 100,000"
  step bench-ger-vgg19-100k 200 "$OUT/bench.log" "${GER[@]}" bench --workload vgg19 --n 100000 --rank 256 --backend cuda \
    --stream-rows 0 --no-roofline --out "$R/ger-vgg19-100k.json" || FAILED=1
  tar -C "$R" -czf "$OUT/results.tgz" .
fi

if has stream; then
  say "== streaming: the calibration rows in host memory, through the GPU in chunks"
  [ -f "$V/calib.npy" ] || step export 60 "$OUT/validate.log" "${GER[@]}" bench --workload small --n 3000 --backend cuda --export "$V" || FAILED=1
  step validate-cuda-ger-stream 120 "$OUT/validate.log" "${GER[@]}" validate --backend cuda --against java --stream-rows 1000 \
    --model "$V/model.safetensors" --calib "$V/calib.npy" --method ger --rank 32 --lambda-schedule 0.01x3,1x3 --epochs 3 || FAILED=1
  grep -E "max relative difference" "$OUT/validate.log" | tail -1 | tee -a "$LOG"
  step bench-ger-vgg19-stream 200 "$OUT/bench.log" "${GER[@]}" bench --workload vgg19 --n 32768 --rank 256 --backend cuda \
    --stream-rows 8192 --no-roofline --out "$R/ger-vgg19-stream.json" || FAILED=1
  tar -C "$R" -czf "$OUT/results.tgz" .
fi

if has tour; then
  say "== kernel tour (timings)"
  step tour 90 "$OUT/ncu.log" "${JAVA[@]}" -cp "$CP" KernelTour
fi

if has ncu; then
  say "== ncu (SpeedOfLight, each ger kernel)"
  KERNELS=$(grep -hoE '^(GER_KERNEL )?void [a-z_0-9]+' kernels/portable/*.h | awk '{print $NF}' | paste -sd'|')
  step ncu 150 "$OUT/ncu.log" ncu --target-processes all --kernel-name-base function -k "regex:^($KERNELS)$" \
    -c 80 --section SpeedOfLight --section LaunchStats --section Occupancy --csv "${JAVA[@]}" -cp "$CP" KernelTour once
fi

if has memcheck; then
  say "== compute-sanitizer memcheck"
  echo "==== memcheck" >> "$OUT/tests.log"
  step memcheck 200 "$OUT/tests.log" compute-sanitizer --tool memcheck --target-processes all --print-limit 30 --error-exitcode 99 \
    "${JAVA[@]}" -cp "$CP" DeviceTests class:ger.backend.cuda.CudaBackendConformanceTest class:ger.backend.cuda.CudaBackendTest || FAILED=1
  grep -E "ERROR SUMMARY" "$OUT/tests.log" | tee -a "$LOG"
fi

say "== done: FAILED=$FAILED"
exit $FAILED
