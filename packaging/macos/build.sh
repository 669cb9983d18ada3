#!/usr/bin/env bash
# Build the macOS app and its disk image: dist/QwQ-Desktop-<version>-macos-<arch>.dmg
# holding "QwQ Desktop.app" (llama.cpp on Metal, ad-hoc signed) and an Applications link.
#
#   bash packaging/macos/build.sh
#
# Needs Xcode's command line tools (clang, codesign, iconutil, hdiutil) and
# Python 3.11+ ($PYTHON, default python3). REUSE_VENV=1 keeps build/venv-metal from an
# earlier run, skipping the llama.cpp compile. CODESIGN_IDENTITY signs with a Developer ID
# instead of ad hoc; notarization: packaging/macos/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python3}"
VENV=build/venv-metal
PY="$VENV/bin/python"
APP="dist/QwQ Desktop.app"

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { echo "Python 3.11 or later is needed (PYTHON=$PYTHON)" >&2; exit 1; }
VERSION="$("$PYTHON" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")"
LLAMA="$("$PYTHON" -c "import tomllib; print(next(d for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'] if d.startswith('llama-cpp-python')))")"
DMG="dist/QwQ-Desktop-$VERSION-macos-$(uname -m).dmg"

# 1. The build environment, with llama-cpp-python compiled for Metal. The Metal shaders
#    are embedded in the library (GGML_METAL_EMBED_LIBRARY), so the frozen app needs no
#    default.metallib or ggml-metal.metal file beside it.
if [[ "${REUSE_VENV:-}" == 1 && -x "$PY" ]]; then
    echo "Reusing $VENV"
else
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$PY" -m pip install --upgrade pip
    # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS.
    CMAKE_ARGS="-DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON -DGGML_NATIVE=OFF" \
        "$PY" -m pip install --no-cache-dir --no-binary llama-cpp-python "$LLAMA"
    "$PY" -m pip install -e .
fi

# 2. The icon: packaging/macos/qwq-desktop.icns, which freeze.py picks up.
ICONSET=build/qwq-desktop.iconset
rm -rf "$ICONSET"
"$PY" packaging/windows/make_icons.py --iconset "$ICONSET"
iconutil -c icns -o packaging/macos/qwq-desktop.icns "$ICONSET"

# 3. Freeze: dist/QwQ Desktop.app (and dist/qwq-desktop/).
"$PY" packaging/freeze.py --variant metal
[[ -d "$APP" ]] || { echo "freeze.py made no $APP" >&2; exit 1; }
[[ "$(cat dist/BACKEND)" == metal ]] || { echo "dist/BACKEND is not metal" >&2; exit 1; }

# 4. Sign. By default ad-hoc: Apple silicon runs no unsigned code, but Gatekeeper still
#    stops a downloaded copy (README.md). With CODESIGN_IDENTITY="Developer ID
#    Application: ..." it signs for notarization: hardened runtime, entitlements, timestamp.
xattr -cr "$APP"
if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --deep --options runtime --timestamp \
        --entitlements packaging/macos/entitlements.plist --sign "$CODESIGN_IDENTITY" "$APP"
else
    codesign --force --deep --sign - "$APP"
fi
codesign --verify --deep --strict "$APP"

# 5. The disk image: the app and a link to /Applications to drag it onto.
STAGE=build/dmg
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/QwQ Desktop.app"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "QwQ Desktop" -srcfolder "$STAGE" -format UDZO -ov "$DMG"
if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$DMG"
fi
echo "Built $DMG ($(du -h "$DMG" | cut -f1))"
