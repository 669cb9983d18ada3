#!/usr/bin/env bash
# Install the unpacked tarball for this user: a command, a menu entry, .gguf files.
# ./install.sh            install into ~/.local
# ./install.sh --remove   remove it again (conversations and models stay)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
if [[ ${1:-} == --remove ]]; then
  rm -rf "$prefix/lib/qwq-desktop" "$prefix/bin/qwq-desktop" \
    "$prefix/share/applications/qwq-desktop.desktop" \
    "$prefix/share/icons/hicolor/scalable/apps/qwq-desktop.svg" \
    "$prefix/share/mime/packages/qwq-desktop.xml"
  echo "Removed. Your conversations and models are still in ~/.local/share/qwq-desktop."
  exit 0
fi
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" \
  "$prefix/share/icons/hicolor/scalable/apps" "$prefix/share/mime/packages"
rm -rf "$prefix/lib/qwq-desktop"
cp -a "$here/app" "$prefix/lib/qwq-desktop"
ln -sf "$prefix/lib/qwq-desktop/qwq-desktop" "$prefix/bin/qwq-desktop"
cp "$here/share/qwq-desktop.desktop" "$prefix/share/applications/"
cp "$here/share/qwq-desktop.svg" "$prefix/share/icons/hicolor/scalable/apps/"
cp "$here/share/qwq-desktop-mime.xml" "$prefix/share/mime/packages/qwq-desktop.xml"
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
echo "Installed: run qwq-desktop, or find QwQ Desktop in your applications."
