#!/usr/bin/env bash
# One GPU session in one go (GPU time comes in minutes): Shakespeare training runs at once
# (RUNS: name:cell:hidden:dropout:epochs[:window:batch] ...; the first session ran LSTM 2x512 and GRU 2x576
# at dropout 0.3 and 0.45 for 40 epochs, the second longer and with more dropout), the test
# suite on CUDA beside them, then the GPU bench alone on the idle GPU (NO_BENCH=1 skips it).
# From the repository root:
#
#   bash training/gpu_session.sh OUT CORPUS [TRAIN_SECONDS]
#
# OUT receives summary.txt, logs.tgz (machine, pytest, bench JSON, every run's JSON lines)
# and each run's best model (float16). Runs still going after TRAIN_SECONDS (default 230)
# get SIGTERM: the trainer finishes its step, evaluates, keeps its best model and stops.
set -u
OUT=${1:?usage: gpu_session.sh OUT CORPUS [TRAIN_SECONDS]}
CORPUS=${2:?usage: gpu_session.sh OUT CORPUS [TRAIN_SECONDS]}
BUDGET=${3:-230}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}            # DEVICE=cpu SMOKE=1: a dry run of this script on a CPU
TESTS=${TESTS:-tests/core tests/music tests/test_model_cards.py tests/test_shipped_models.py}
SMOKE_FLAGS=(); [ -n "${SMOKE:-}" ] && SMOKE_FLAGS=(--max-steps 3 --eval-every 2 --hidden 32)
WORK=$(mktemp -d)
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
mkdir -p "$OUT"

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda,
'cudnn', torch.backends.cudnn.version())"; date -u +%F; } > "$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"

# The shared recipe values for the GPU (batch 128, 40 epochs, fp16 storage); the sweep
# varies dropout. Sample previews run eagerly (STUDIO_CUDA_GRAPHS=0): a training run must
# not depend on the new graph path, which the tests below check on their own.
COMMON=(--device "$DEVICE" --layers 2 --embedding 96 --lr 0.003 --weight-decay 0.1 --batch 128
        --window 128 --warmup 100 --eval-every 55 --clip 1.0 --seed 1337 --half)
start_run() {  # name cell hidden dropout epochs [window [batch]]
  STUDIO_CUDA_GRAPHS=0 $PY -m studio train --recipe "training/shakespeare-$2.toml" \
    --corpus "$CORPUS" "${COMMON[@]}" --cell "$2" --hidden "$3" --dropout "$4" --epochs "$5" \
    --window "${6:-128}" --batch "${7:-128}" \
    "${SMOKE_FLAGS[@]}" \
    --name "shakespeare-$2" --out "$WORK/$1.safetensors" --jsonl > "$WORK/$1.jsonl" 2> "$WORK/$1.err" &
  echo "$! $1" >> "$WORK/pids"
}
T0=$(date +%s)
RUNS=${RUNS:-lstm-d30:lstm:512:0.3:40 lstm-d45:lstm:512:0.45:40 gru-d30:gru:576:0.3:40 gru-d45:gru:576:0.45:40}
for run in $RUNS; do
  IFS=: read -r name cell hidden dropout epochs window batch <<< "$run"
  start_run "$name" "$cell" "$hidden" "$dropout" "$epochs" "$window" "$batch"
done

# The suite on CUDA (the GUI and live tests need PySide6 / JACK: not on this machine).
# shellcheck disable=SC2086
STUDIO_TEST_DEVICE=$DEVICE timeout 250 $PY -m pytest -q -p no:cacheprovider -n 4 --dist loadfile \
  $TESTS > "$WORK/pytest.txt" 2>&1
echo "pytest exit $? after $(( $(date +%s) - T0 )) s"; tail -n 25 "$WORK/pytest.txt"

while read -r pid name; do  # the training budget: stop what still runs, cleanly
  left=$(( BUDGET - ($(date +%s) - T0) ))
  if [ "$left" -gt 0 ]; then timeout "$left" tail --pid="$pid" -f /dev/null; fi
  kill -TERM "$pid" 2>/dev/null && echo "stopped $name at the budget"
done < "$WORK/pids"
wait
echo "training done after $(( $(date +%s) - T0 )) s"

[ -z "${NO_BENCH:-}" ] && timeout 130 $PY -m studio bench --device "$DEVICE" ${SMOKE:+--quick} > "$WORK/bench.json" 2> "$WORK/bench.err"
echo "bench exit $?"; cat "$WORK/bench.json"; tail -n 5 "$WORK/bench.err"

$PY - "$WORK" "$OUT" <<'EOF' | tee "$OUT/summary.txt"
import json, pathlib, shutil, sys
work, out = map(pathlib.Path, sys.argv[1:])
for log in sorted(work.glob("*.jsonl")):
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    evals = [e for e in events if e.get("event") == "eval"]
    steps = [e for e in events if e.get("event") == "step"]
    done = [e for e in events if e.get("event") == "done"]
    best = min((e["val_loss"] for e in evals), default=None)
    rate = max((e["tokens_per_s"] for e in steps), default=0)
    print(f"{log.stem}: best val {best}, evals {len(evals)}, steps {steps[-1]['step'] if steps else 0},"
          f" last tokens/s {steps[-1]['tokens_per_s'] if steps else 0}, done {done[-1] if done else None}")
    model = work / f"{log.stem}.safetensors"
    if model.exists():
        shutil.copy(model, out / model.name)
pytest = (work / "pytest.txt").read_text().strip().splitlines()
print("pytest:", pytest[-1] if pytest else "no output")
EOF
tar czf "$OUT/logs.tgz" -C "$WORK" --exclude='*.safetensors' .
ls -la "$OUT"
