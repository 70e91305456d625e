#!/usr/bin/env bash
# One GPU session for the jazz models (issue 11: validation NLL per note event below 1.68 at
# the shipped size): a sweep of jazz-remi-v3 runs at once on the one GPU, all at the
# recipes' size (2 x 256, embedding 64; GRU and LSTM) and corpus settings (chords, the
# held-out 10%, a random key per solo and epoch), varying what can lower validation NLL at
# a fixed size: epochs, dropout, weight decay, lr/warmup, batch. From the repository root:
#
#   bash training/gpu_jazz_session.sh OUT CORPUS [TRAIN_SECONDS]
#
# CORPUS: the WJazzD folder, or an archive of it (.tar.xz/.tgz holding index.csv,
# csv_melody/ and csv_beats/, all the loader reads; the sha256 is then the shared corpus's),
# unpacked under /tmp first. Runs still going after TRAIN_SECONDS (default 450) get SIGTERM:
# the trainer finishes its step, keeps its best model (by validation loss, at its last
# evaluation) and stops. Then every run's best model is scored as `sequence-studio eval`
# scores it (NLL per note event on the validation split; training/gpu_jazz_summary.py),
# beside the shipped models scored the same way on the same device.
#
# OUT receives summary.txt, logs.tgz (machine, each run's JSON lines and stderr,
# summary.json) and KEEP (default 3) best models, float16: the best GRU and the best LSTM by
# note-event NLL, then the next best. That is KEEP + 2 files (the device returns 8 at most).
#
# RUNS overrides the sweep: name:cell:dropout:epochs:batch:lr:weight_decay:warmup[:window]
# ... (window 256 as the recipes). Every run evaluates once an epoch, in fp32 (a 2 x 256
# recurrent net is launch-bound on a GPU: bf16 autocast only adds casts) with the recipes'
# clip 1.0, cosine schedule and seed 1337.
# DEVICE=cpu SMOKE=1: a dry run of this script on a CPU (3 steps a run, hidden 32).
#
# Python packages the device lacks (its image has torch, numpy, safetensors, tqdm,
# packaging, pytest, hypothesis ...; see /work/.library/device/KINDS.md): `studio train` on
# a jazz corpus imports mido and platformdirs. They travel as wheels in .whl/ (ignored;
# with mutmut 3.8.1 and what it needs there: libcst, setproctitle, textual, click,
# mdit-py-plugins, linkify-it-py, rich, markdown-it-py; and for the mutation tests'
# collection pretty_midi 0.2.11.post0, repacked without its 6 MB soundfont, which only its
# fluidsynth synthesis reads, and importlib_resources); if mido or platformdirs cannot be
# imported, this script installs .whl/*.whl into /tmp/site itself.
set -u
OUT=${1:?usage: gpu_jazz_session.sh OUT CORPUS [TRAIN_SECONDS]}
CORPUS=${2:?usage: gpu_jazz_session.sh OUT CORPUS [TRAIN_SECONDS]}
BUDGET=${3:-450}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
KEEP=${KEEP:-3}
SMOKE_FLAGS=(); [ -n "${SMOKE:-}" ] && SMOKE_FLAGS=(--max-steps 3 --eval-every 2 --hidden 32)
T0=$(date +%s)
WORK=$(mktemp -d)
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}   # the GPU does the work; leave cores to the others
mkdir -p "$OUT"
exec > >(tee "$WORK/session.log") 2>&1   # this output goes into logs.tgz too

if ! $PY -c "import mido, platformdirs" 2>/dev/null; then
  [ -d .whl ] || { echo "mido/platformdirs missing and no .whl/ to install them from"; exit 2; }
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || { echo "installing .whl/ failed"; exit 2; }
  export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
if [ -f "$CORPUS" ]; then  # an archive: unpacked with Python's tarfile (no xz binary needed)
  $PY -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')" \
    "$CORPUS" "$WORK/corpus" || { echo "cannot unpack $CORPUS"; exit 2; }
  CORPUS=$WORK/corpus
fi

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  $PY -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__,
'cuda', torch.version.cuda, torch.cuda.is_available(), 'cudnn', torch.backends.cudnn.version())"
  nproc --all; date -u +%FT%TZ; } > "$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"
if [ "$DEVICE" = cuda ] && ! $PY -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
  echo "no CUDA device here: nothing trained"; exit 2
fi

EPOCH_TOKENS=913945    # the v3 training stream of the recipes' split by tune (309 solos; 1082403 by
                       # solo, the shipped models' split): one evaluation an epoch
start_run() {  # name cell dropout epochs batch lr weight_decay warmup [window]
  local window=${9:-256}
  local every=$(( EPOCH_TOKENS / ($5 * window) ))
  STUDIO_CUDA_GRAPHS=0 $PY -m studio train --recipe "training/jazz-$2.toml" --corpus "$CORPUS" \
    --device "$DEVICE" --precision fp32 --half --seed 1337 \
    --dropout "$3" --epochs "$4" --batch "$5" --lr "$6" --weight-decay "$7" --warmup "$8" \
    --window "$window" --eval-every "$every" "${SMOKE_FLAGS[@]}" \
    --name "jazz-$2" --out "$WORK/$1.safetensors" --jsonl > "$WORK/$1.jsonl" 2> "$WORK/$1.err" &
  echo "$! $1" >> "$WORK/pids"
}
# The shipped models: 12 (GRU) and 16 (LSTM) epochs at batch 32, dropout 0.2, lr 0.003,
# weight decay 0.01, and still improving when they stopped (train loss ~ val loss): so
# mostly longer, with more dropout as the epochs grow; batch 64 halves the steps an epoch
# (the GPU step costs about the same), which buys epochs. Longest runs start first.
RUNS=${RUNS:-"gru-b64-e100-d40:gru:0.4:100:64:0.004:0.05:100 lstm-b64-e100-d40:lstm:0.4:100:64:0.005:0.05:100
gru-b64-e60-d30:gru:0.3:60:64:0.004:0.01:100 lstm-b64-e60-d30:lstm:0.3:60:64:0.005:0.01:100
gru-b32-e40-d30:gru:0.3:40:32:0.003:0.01:50 lstm-b32-e40-d30:lstm:0.3:40:32:0.004:0.01:50
gru-b32-e40-d20:gru:0.2:40:32:0.003:0.01:50 lstm-b32-e40-d20:lstm:0.2:40:32:0.003:0.01:50"}
for run in $RUNS; do
  IFS=: read -r name cell dropout epochs batch lr wd warmup window <<< "$run"
  start_run "$name" "$cell" "$dropout" "$epochs" "$batch" "$lr" "$wd" "$warmup" "$window"
done
echo "started $(wc -l < "$WORK/pids") runs after $(( $(date +%s) - T0 )) s"

while read -r pid name; do  # the training budget: stop what still runs, cleanly
  left=$(( BUDGET - ($(date +%s) - T0) ))
  if [ "$left" -gt 0 ]; then timeout "$left" tail --pid="$pid" -f /dev/null; fi
  kill -TERM "$pid" 2>/dev/null && echo "stopped $name at the budget"
done < "$WORK/pids"
# the runs only: a plain `wait` would also wait for the tee above, which never ends
wait $(cut -d' ' -f1 "$WORK/pids")
echo "training done after $(( $(date +%s) - T0 )) s"
for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "== $(basename "$f")"; tail -n 3 "$f"; }; done

# ~20 s on the GPU machine (the corpus read once, ten models scored); minutes on a loaded CPU
timeout "${SUMMARY_SECONDS:-300}" $PY training/gpu_jazz_summary.py "$WORK" "$OUT" "$CORPUS" --keep "$KEEP" \
  --device "$DEVICE" 2> "$WORK/summary.err" \
  || { echo "summary failed (exit $?; models kept unranked):"; tail -n 20 "$WORK/summary.err"
  find "$WORK" -maxdepth 1 -name '*.safetensors' ! -name '*.last.safetensors' | sort | head -n "$KEEP" \
    | xargs -r cp -t "$OUT"; }
tar czf "$OUT/logs.tgz" -C "$WORK" --exclude='*.safetensors' --exclude=corpus .
echo "all done after $(( $(date +%s) - T0 )) s"
ls -la "$OUT"
rm -rf "$WORK"
