#!/bin/sh
# ger's java backend beside NumPy/OpenBLAS on issue 12's four phases, same model, same rows, same run:
# each side in a fresh process, alternating, REPEATS times for the quick phases and AS_REPEATS for AS;
# the best (min) of each side is compared. Writes a markdown table to OUT (default
# bench/results/cpu-side-by-side.md, appended as one dated section).
# Usage: bench/cpu/side_by_side.sh [LABEL]   (env: REPEATS=3 AS_REPEATS=1 ROWS=10000 OUT=...)
set -eu
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
label="${1:-run}"
repeats="${REPEATS:-3}"
as_repeats="${AS_REPEATS:-1}"
rows="${ROWS:-10000}"
out="${OUT:-bench/results/cpu-side-by-side.md}"
model=java/resources/models/fashion-mnist-mlp.safetensors
images=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

mvn -q -B -o test-compile dependency:build-classpath -Dmdep.outputFile=target/test-cp.txt -Dmdep.includeScope=test
java_cmd="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/test-classes:target/classes:$(cat target/test-cp.txt) ger.bench.SideBySide"
numpy_cmd="python3 bench/cpu/side_by_side_numpy.py"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
# run SIDE WHICH: one fresh process, its "phase seconds" lines tagged with the side and the load before it.
run() {
    side=$1; which=$2; before=$(load)
    if [ "$side" = ger ]; then cmd=$java_cmd; else cmd=$numpy_cmd; fi
    $cmd "$model" "$images" "$rows" "$which" 2>/dev/null | while read -r phase seconds; do
        echo "$side $phase $seconds $before" | tee -a "$log" >&2
    done
}
i=0
while [ $i -lt "$repeats" ]; do run ger quick; run numpy quick; i=$((i + 1)); done
i=0
while [ $i -lt "$as_repeats" ]; do run ger as; run numpy as; i=$((i + 1)); done

python3 - "$log" "$label" "$repeats" "$as_repeats" "$rows" >>"$out" <<'PY'
import subprocess, sys, datetime, collections
log, label, repeats, as_repeats, rows = sys.argv[1:]
best, loads = {}, collections.defaultdict(list)
for line in open(log):
    side, phase, seconds, load = line.split()
    key = (side, phase)
    best[key] = min(best.get(key, float("inf")), float(seconds))
    loads[side].append(float(load))
model = next(l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
             if l.startswith("Model name"))
nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
commit = subprocess.run(["git", "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()[:90]
all_loads = loads["ger"] + loads["numpy"]
names = [("activations", "the original network's forward over the rows (report phase `activations`)"),
         ("activations-warm", "the same forward again in the same process (a warm JVM)"),
         ("epoch", "one global-stage epoch at k = 128, batch 256 (GER-IC, lr 0.05; report phase `global`)"),
         ("svd", "LRD's SVDs of the three layers (report phase `svd`)"),
         ("as", "AS at k = 128, schedule 0.01x25,1x25, all layers (sum of `init` phases)")]
print(f"\n## {label}: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {model}, nproc {nproc}. Commit: {commit}. Rows: the first {rows} Fashion-MNIST training images; "
      f"model: java/resources/models/fashion-mnist-mlp.safetensors (784-1024-1024-10). Best of {repeats} fresh "
      f"processes per side ({as_repeats} for AS), alternating; 1-minute load before each process "
      f"{min(all_loads):.2f}..{max(all_loads):.2f}. Command: `bench/cpu/side_by_side.sh {label}`.\n")
print("| phase | ger (java) | NumPy | ger / NumPy |")
print("| --- | ---: | ---: | ---: |")
for key, text in names:
    g, n = best.get(("ger", key)), best.get(("numpy", key))
    if g is None or n is None:
        continue
    print(f"| {text} | {g:.2f} s | {n:.2f} s | {g / n:.2f} |")
PY
tail -n 12 "$out"
