#!/usr/bin/env bash
# Build the Linux packages from a checkout:  bash packaging/linux/build.sh [cpu|cuda]
#
#   dist/qwq-desktop_<version>_amd64.deb          (cuda: qwq-desktop-cuda_<version>_amd64.deb)
#   dist/qwq-desktop-<version>-linux-x86_64-<variant>.tar.gz  (unpack anywhere, ./install.sh)
#
# A build venv (build/venv-<variant>) gets llama-cpp-python compiled for the variant:
# cpu is portable to any x86-64 CPU with AVX2 (2013 on), never -march=native; cuda adds
# -DGGML_CUDA=on for common GPU generations. PYTHON=/path/to/python skips the venv and
# uses an environment where the app is already installed with the right build.
set -euo pipefail
cd "$(dirname "$0")/../.."
variant=${1:-cpu}
version=$(grep -m1 -oP '^version = "\K[^"]+' pyproject.toml)
llama=$(grep -oP "llama-cpp-python==\K[0-9.]+" pyproject.toml)

case $variant in
  cpu)  cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" ; package=qwq-desktop ;;
  cuda) cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=75;86;89;90" ; package=qwq-desktop-cuda ;;
  *) echo "usage: $0 [cpu|cuda]" >&2; exit 2 ;;
esac

if [[ -z ${PYTHON:-} ]]; then
  venv=build/venv-$variant
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  CMAKE_ARGS="$cmake_args" "$venv/bin/pip" install -q --no-cache-dir "llama-cpp-python==$llama"
  "$venv/bin/pip" install -q -e .
  PYTHON=$venv/bin/python
fi
"$PYTHON" packaging/freeze.py --variant "$variant"

# --- the .deb: the app in /opt, a command, a menu entry, an icon, .gguf files ------------
stage=build/deb/$package
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/mime/packages" \
  "$stage/usr/share/doc/$package"
cp -a dist/qwq-desktop "$stage/opt/qwq-desktop"
ln -s /opt/qwq-desktop/qwq-desktop "$stage/usr/bin/qwq-desktop"
cp packaging/linux/qwq-desktop.desktop "$stage/usr/share/applications/"
cp resources/icons/qwq-desktop.svg "$stage/usr/share/icons/hicolor/scalable/apps/"
cp packaging/linux/qwq-desktop-mime.xml "$stage/usr/share/mime/packages/qwq-desktop.xml"
cp packaging/linux/copyright "$stage/usr/share/doc/$package/copyright"
other=$([[ $package == qwq-desktop ]] && echo qwq-desktop-cuda || echo qwq-desktop)
installed_kb=$(du -sk "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: amd64
Maintainer: QwQ Desktop developers <qwq-desktop@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.31), libfontconfig1, libfreetype6, libglib2.0-0, libdbus-1-3, libegl1, libgl1, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render-util0, libxcb-shape0, libxcb-xfixes0, libxcb-xinerama0, libxcb-xkb1, libx11-xcb1
Conflicts: $other
Replaces: $other
Provides: qwq-desktop-app
Section: science
Priority: optional
Homepage: https://github.com/qwq-desktop/qwq-desktop
Description: private, offline chat with the QwQ-32B reasoning model ($variant build)
 QwQ Desktop runs a GGUF-quantized QwQ-32B through llama.cpp on this machine and
 shows the model's reasoning beside its answer. Conversations and models stay in
 your home folder (~/.local/share/qwq-desktop): removing the package keeps them.
CONTROL
# dpkg's triggers refresh the menu, MIME and icon caches on install and removal.
dpkg-deb --root-owner-group -Zxz --build "$stage" "dist/${package}_${version}_amd64.deb" >/dev/null

# --- the tarball, for other distributions --------------------------------------------
tarroot=build/tar/qwq-desktop-$version
rm -rf build/tar && mkdir -p "$tarroot/share"
cp -a dist/qwq-desktop "$tarroot/app"
cp packaging/linux/qwq-desktop.desktop resources/icons/qwq-desktop.svg packaging/linux/qwq-desktop-mime.xml "$tarroot/share/"
cp packaging/linux/install.sh "$tarroot/install.sh"
tar -C build/tar -czf "dist/qwq-desktop-$version-linux-x86_64-$variant.tar.gz" "qwq-desktop-$version"

for f in "dist/${package}_${version}_amd64.deb" "dist/qwq-desktop-$version-linux-x86_64-$variant.tar.gz"; do
  printf '%s  %s\n' "$(du -h "$f" | cut -f1)" "$f"
done
echo "installed size: $((installed_kb / 1024)) MB"
