#!/usr/bin/env bash
# GPU proof, run on a lent NVIDIA machine from the repository root, in one call:
#
#   bash bench/gpu/proof.sh        (with bench/gpu/wheelhouse carried; see prepare.sh)
#
# The machine has no network, so everything comes from bench/gpu/wheelhouse (git-ignored,
# made here by bench/gpu/prepare.sh): the pure-Python wheels the engine needs that the
# machine's image lacks (diskcache, gguf, platformdirs; numpy, jinja2, pyyaml, nvidia-ml-py,
# pytest are there), llama-cpp-python 0.3.36 built for CUDA 13 and sm_90 here (cuda/*.tar.gz:
# the installed package, its libraries once each), and its source stripped of llama.cpp's
# models and docs (sdist/), to build it there instead when no prebuilt one is carried, when
# it does not load, or with PROOF_BUILD=1.
#
# Then the engine's tests run on that build ($OUT/pytest_engine.txt), and bench/gpu/proof.py
# runs our engine on it: its report goes to stdout and to $OUT/gpu_proof.txt, with
# $OUT/gpu_proof.json, $OUT/llama_log.txt, and the build log's tail if it built.
#
# Settings:
#   PROOF_BUILD=1       build there even with the prebuilt one carried
#   PROOF_CUDA_FA=ON    a build there also compiles the flash-attention kernels (a few
#                       minutes more on 16 cores; off by default, and proof.py then skips
#                       the q8_0 KV cache, which needs them; the prebuilt one has them)
#   PROOF_BUDGET_S      seconds for the whole script (540); proof.py skips what won't fit
#   PROOF_ARGS          more arguments for proof.py, e.g. "--models scripted,qwen1.5b"
#   PROOF_PYTEST=0      skip the engine's tests
#   PROOF_NO_BUILD=1    never build; go on even if the build does not offload
#   PROOF_SKIP_BUILD=1  dry run here: no install, no build (with PYTHON=.venv/bin/python)
set -euo pipefail
T0=$(date +%s)
OUT=${OUT:-/tmp/gpu-proof-out}
mkdir -p "$OUT"
HOUSE=bench/gpu/wheelhouse
BUDGET=${PROOF_BUDGET_S:-540}
SITE=${PROOF_SITE:-/tmp/gpu-proof-site}
# The model files (the QwQ-32B-shaped one is 17 GiB): in RAM when /dev/shm has room,
# so writing and loading them costs no disk time.
WORK=${PROOF_WORK:-/tmp/gpu-proof-models}
if [[ -z ${PROOF_WORK:-} ]] && (($(df -k --output=avail /dev/shm 2>/dev/null | tail -1 || echo 0) > 40 * 1024 * 1024)); then
  WORK=/dev/shm/gpu-proof-models
fi
PY=${PYTHON:-python3}
PROOF_FLASH_ARG=""

elapsed() { echo $(($(date +%s) - T0)); }
step() { echo; echo "[$(elapsed) s] == $*"; }

step "machine"
uname -srm
echo "cores: $(nproc); $(free -g | awk '/^Mem/ {print "RAM " $2 " GiB, " $7 " GiB available"}')"
df -h /tmp /dev/shm | tail -n +2
echo "model files in $WORK"
$PY -V
CAP=""
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=compute_cap,name,memory.total,memory.free,driver_version --format=csv \
    | tee "$OUT/nvidia_smi.txt"
  CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
else
  echo "no nvidia-smi"
fi
CAP=${CAP:-90}

if [[ ${PROOF_SKIP_BUILD:-0} == 1 ]]; then
  step "dry run: no install, no build; $PY as it is"
  $PY -c 'import llama_cpp; print("llama_cpp", llama_cpp.__version__, "offload:", llama_cpp.llama_supports_gpu_offload())'
else
  step "CUDA toolkit"
  NVCC=$(command -v nvcc || true)
  for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
    [[ -z $NVCC && -x $c ]] && NVCC=$c
  done
  if [[ -n $NVCC ]]; then
    echo "nvcc: $NVCC"
    "$NVCC" --version | tail -2
  else
    echo "no nvcc found (only a prebuilt wheel can be used)"
  fi
  CUDA_ROOT=$( [[ -n $NVCC ]] && cd "$(dirname "$(readlink -f "$NVCC")")/.." && pwd || echo /usr/local/cuda)

  # Where a shared library lives: the toolkit, the loader's cache, or a pip package
  # (the image's PyTorch brings nvidia/cu13/lib/libcublas.so.13 and the like).
  PYSITE=$($PY -c 'import site; print(" ".join(site.getsitepackages()))')
  # shellcheck disable=SC2206,SC2207  # unquoted: the globs are meant
  find_lib() {
    local name=$1 dir found=()
    shopt -s nullglob
    local path_dirs=()
    IFS=: read -r -a path_dirs <<<"${LD_LIBRARY_PATH:-}"
    for dir in "$CUDA_ROOT/lib64" "$CUDA_ROOT/targets/x86_64-linux/lib" "$CUDA_ROOT/lib" \
      "${path_dirs[@]}" /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64; do
      [[ -n $dir ]] && found+=("$dir"/$name*)
    done
    if ((${#found[@]} == 0)); then
      found+=($(ldconfig -p | awk -v n="$name" 'index($1, n) == 1 {print $NF}'))
    fi
    for dir in $PYSITE; do
      found+=("$dir"/nvidia/*/lib/$name* "$dir"/nvidia/lib/$name*)
    done
    shopt -u nullglob
    ((${#found[@]} > 0)) && echo "${found[0]}"
  }

  step "install the carried wheels into $SITE"
  rm -rf "$SITE"
  $PY -m pip install -q --no-index --no-deps --no-compile --disable-pip-version-check \
    --target "$SITE" "$HOUSE"/*.whl
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"

  # The CUDA libraries llama.cpp links: on the loader's path for the import.
  LIBDIRS=""
  for lib in libcudart.so.1 libcublas.so.1 libcublasLt.so.1; do
    path=$(find_lib "$lib" || true)
    echo "$lib*: ${path:-NOT FOUND}"
    [[ -n $path ]] && LIBDIRS="$LIBDIRS:$(dirname "$path")"
  done
  export LD_LIBRARY_PATH="${LIBDIRS#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

  check() {
    $PY -c 'import llama_cpp, sys; ok = llama_cpp.llama_supports_gpu_offload(); print("llama_cpp", llama_cpp.__version__, "from", llama_cpp.__file__, "offload:", ok); sys.exit(0 if ok else 3)'
  }

  build() {
    step "build llama-cpp-python for CUDA sm_$CAP on $(nproc) cores"
    [[ -n $NVCC ]] || { echo "no nvcc: cannot build"; exit 1; }
    local extra="" inc lt
    # FindCUDAToolkit looks for cuBLAS in the toolkit; an image whose cuBLAS came with
    # pip keeps it elsewhere, with versioned names only: point CMake at it.
    if ! ls "$CUDA_ROOT"/lib64/libcublas.so "$CUDA_ROOT"/targets/x86_64-linux/lib/libcublas.so >/dev/null 2>&1; then
      local blas; blas=$(find_lib libcublas.so.1 || true)
      lt=$(find_lib libcublasLt.so.1 || true)
      if [[ -n $blas ]]; then
        mkdir -p /tmp/gpu-proof-cudalibs
        ln -sf "$blas" /tmp/gpu-proof-cudalibs/libcublas.so
        ln -sf "$lt" /tmp/gpu-proof-cudalibs/libcublasLt.so
        inc=$(dirname "$(dirname "$blas")")/include
        extra="-DCUDA_cublas_LIBRARY=/tmp/gpu-proof-cudalibs/libcublas.so -DCUDA_cublasLt_LIBRARY=/tmp/gpu-proof-cudalibs/libcublasLt.so -DCMAKE_CUDA_FLAGS=-I$inc -DCMAKE_CXX_FLAGS=-I$inc"
      fi
    fi
    if ! ls "$CUDA_ROOT"/lib64/stubs/libcuda.so "$CUDA_ROOT"/targets/x86_64-linux/lib/stubs/libcuda.so >/dev/null 2>&1; then
      local drv; drv=$(find_lib libcuda.so.1 || true)
      [[ -n $drv ]] && extra="$extra -DCUDA_cuda_driver_LIBRARY=$drv"
    fi
    # Flash-attention kernels are most of the compile time: a build here leaves them out
    # unless PROOF_CUDA_FA=ON (the prebuilt wheel has them).
    local FA=${PROOF_CUDA_FA:-OFF}
    [[ $FA == ON ]] || PROOF_FLASH_ARG=--no-flash
    export CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=${CAP}-real -DCMAKE_CUDA_COMPILER=$NVCC -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_CUDA_NCCL=OFF -DGGML_CUDA_FA=$FA $extra"
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
    export CMAKE_BUILD_PARALLEL_LEVEL MAKEFLAGS=-j$CMAKE_BUILD_PARALLEL_LEVEL
    echo "CMAKE_ARGS=$CMAKE_ARGS"
    rm -rf /tmp/gpu-proof-wheel /tmp/gpu-proof-build
    local status=0
    $PY -m pip wheel -v --no-index --no-deps --no-build-isolation --disable-pip-version-check \
      -w /tmp/gpu-proof-wheel -C build-dir=/tmp/gpu-proof-build \
      "$HOUSE"/sdist/llama_cpp_python-0.3.36.tar.gz >/tmp/gpu-proof-build.log 2>&1 || status=$?
    grep -E '^\s*\[[0-9]+/[0-9]+\]' /tmp/gpu-proof-build.log | tail -1 | cut -c1-150 || true
    tail -c 200000 /tmp/gpu-proof-build.log >"$OUT/build_log_tail.txt"
    if [[ $status != 0 ]]; then
      tail -60 /tmp/gpu-proof-build.log
      echo "build failed ($status) after $(elapsed) s"
      exit 1
    fi
    rm -rf "$SITE"/llama_cpp "$SITE"/llama_cpp_python-*.dist-info
    $PY -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$SITE" /tmp/gpu-proof-wheel/*.whl
    echo "built in $(elapsed) s since the start"
  }

  prebuilt=$(ls "$HOUSE"/cuda/llama_cpp-*.tar.gz 2>/dev/null | head -1 || true)
  if [[ ${PROOF_BUILD:-0} != 1 && -n $prebuilt ]]; then
    step "unpack the prebuilt CUDA build $(basename "$prebuilt")"
    rm -rf "$SITE"/llama_cpp "$SITE"/llama_cpp_python-*.dist-info
    tar xzf "$prebuilt" -C "$SITE"
    ldd "$SITE"/llama_cpp/lib/libggml-cuda.so | grep -E 'cuda|cublas|not found' || true
    if ! check; then
      if [[ ${PROOF_NO_BUILD:-0} == 1 ]]; then
        echo "the prebuilt build does not offload here; PROOF_NO_BUILD=1: going on without"
      else
        echo "the prebuilt build does not offload here: building instead"
        build
      fi
    fi
  else
    build
  fi
  step "import check"
  ldd "$SITE"/llama_cpp/lib/libggml-cuda.so | grep -E 'cuda|cublas|not found' || true
  check || [[ ${PROOF_NO_BUILD:-0} == 1 ]]
fi

set +e
tests=0
if [[ ${PROOF_PYTEST:-1} == 1 ]]; then
  # The engine's own tests (scripted models through real llama.cpp) on this build, where
  # an automatic load now offloads; the gemma model from PyPI is not here.
  step "pytest tests/engine tests/core on this build"
  timeout 150 $PY -m pytest tests/engine tests/core -m "not gemma" -k "not gemma" -q \
    -p no:cacheprovider --timeout 60 >"$OUT/pytest_engine.txt" 2>&1
  tests=$?
  tail -15 "$OUT/pytest_engine.txt"
  echo "pytest exited $tests"
fi

LEFT=$((BUDGET - $(elapsed)))
step "proof.py (deadline ${LEFT} s)"
# shellcheck disable=SC2086
PYTHONUNBUFFERED=1 $PY bench/gpu/proof.py --out "$OUT" --work "$WORK" --deadline "$LEFT" \
  $PROOF_FLASH_ARG ${PROOF_ARGS:-} 2>&1 | tee "$OUT/gpu_proof.txt"
status=${PIPESTATUS[0]}
set -e
rm -rf "$WORK"
# Files come back only up to 16 MiB each.
for f in "$OUT"/*; do
  if (($(stat -c %s "$f") > 15000000)); then
    tail -c 15000000 "$f" >"$f.tail" && mv "$f.tail" "$f"
  fi
done
step "done: proof.py exited $status, pytest $tests"
((status == 0 && tests == 0))
