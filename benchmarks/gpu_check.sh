#!/usr/bin/env bash
# The same results on a GPU: one short check (under 8 minutes on one modern GPU) that a
# machine with an accelerator runs from the repository root:
#
#     DLW_DATA_HOME=/path/to/datasets bash benchmarks/gpu_check.sh
#
# 1. `dlw run` of the default run (digits MLP, 40 epochs) and of
#    examples/mnist_reference_cnn.yaml (the course's reference CNN, 10 epochs on 50,000
#    MNIST images), both with the local executor, in float32;
# 2. the reference CNN again under Keras' mixed_float16 policy where the GPU supports it
#    (compute capability 7.0 or newer), and the speed-up over float32;
# 3. for each: epochs/s inside fit, the test accuracy and its difference to the CPU
#    figures (README: the default run 0.98 on a 2-core CPU; the notes' 98.88 % for the
#    reference CNN). Override them with CPU_DEFAULT_ACC / CPU_CNN_ACC, and give the
#    CPU's epochs/s as CPU_DEFAULT_EPS / CPU_CNN_EPS to print the speed ratio too.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/dlw-gpu-check.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
export TF_CPP_MIN_LOG_LEVEL=2

"$PY" - <<'EOF'
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
print(f"TensorFlow {tf.__version__}; GPUs: {[g.name for g in gpus] or 'none (this is a CPU run)'}")
for gpu in gpus:
    details = tf.config.experimental.get_device_details(gpu)
    print(f"  {details.get('device_name', gpu.name)}, compute capability {details.get('compute_capability')}")
EOF

dlw_run() {  # dlw_run RUNS_DIR POLICY [CONFIG]: the CLI, under a global Keras dtype policy
    "$PY" -c "import sys, keras; keras.mixed_precision.set_global_policy(sys.argv[1]); \
sys.argv = ['dlw', *sys.argv[2:]]; from dlworkflow.cli import main; main()" \
        "$2" run ${3:+"$3"} --runs-dir "$1" --executor local >/dev/null 2>"$1.log" ||
        { tail -n 20 "$1.log"; exit 1; }
}

summary() {  # summary LABEL RUN_FOLDER CPU_ACCURACY CPU_EPOCHS_PER_S
    "$PY" - "$@" <<'EOF'
import json, sys
from pathlib import Path
label, folder, cpu_acc, cpu_eps = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
m = json.loads((folder / "metrics.json").read_text())
epochs = m["epochs_run"] - m["resumed_from_epoch"]
eps = epochs / m["train_seconds"]
line = (f"{label:<28} {eps:6.2f} epochs/s  {m['split']} accuracy {m['accuracy']:.4f}"
        f"  (CPU {float(cpu_acc):.4f}, difference {m['accuracy'] - float(cpu_acc):+.4f})")
if cpu_eps:
    line += f"  speed {eps / float(cpu_eps):.1f}x the CPU"
print(line)
EOF
}

started=$(date +%s)
dlw_run "$OUT/f32" float32
summary "default run, float32" "$OUT/f32/digits-mlp" "${CPU_DEFAULT_ACC:-0.98}" "${CPU_DEFAULT_EPS:-}"
dlw_run "$OUT/f32" float32 examples/mnist_reference_cnn.yaml
summary "reference CNN, float32" "$OUT/f32/mnist-reference-cnn" "${CPU_CNN_ACC:-0.9888}" "${CPU_CNN_EPS:-}"

if "$PY" -c "import sys, tensorflow as tf; g = tf.config.list_physical_devices('GPU'); \
sys.exit(0 if g and (tf.config.experimental.get_device_details(g[0]).get('compute_capability') or (0,))[0] >= 7 else 1)"; then
    dlw_run "$OUT/f16" mixed_float16 examples/mnist_reference_cnn.yaml
    summary "reference CNN, mixed_float16" "$OUT/f16/mnist-reference-cnn" "${CPU_CNN_ACC:-0.9888}" "${CPU_CNN_EPS:-}"
    "$PY" - "$OUT" <<'EOF'
import json, sys
from pathlib import Path
def eps(kind):
    m = json.loads((Path(sys.argv[1]) / kind / "mnist-reference-cnn" / "metrics.json").read_text())
    return (m["epochs_run"] - m["resumed_from_epoch"]) / m["train_seconds"]
print(f"mixed_float16 speed-up over float32 (reference CNN): {eps('f16') / eps('f32'):.2f}x")
EOF
else
    echo "mixed_float16: skipped (no GPU with compute capability 7.0 or newer)"
fi
echo "total $(( $(date +%s) - started )) s"
