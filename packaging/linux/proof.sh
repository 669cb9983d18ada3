#!/usr/bin/env bash
# The Linux installer, proven end to end on this machine (as root, from a checkout, after
# `bash packaging/linux/build.sh cpu`):
#   install the .deb into the system → start the installed app under Xvfb with a scripted
#   GGUF (as a file manager would: `qwq-desktop FILE.gguf`) → type a question → read the
#   answer back from the store → screenshot → uninstall, and check the user's data stays.
# Output: the steps on stdout, dist/proof/installed-app.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(ls dist/qwq-desktop_*_amd64.deb | head -1)
out=dist/proof
mkdir -p "$out"
PY=${PYTHON:-.venv/bin/python}
step() { echo; echo "== $*"; }

step "tools: Xvfb, xdotool, ImageMagick, shared-mime-info, desktop-file-utils"
need=()
for pair in Xvfb:xvfb xdotool:xdotool import:imagemagick update-mime-database:shared-mime-info \
  desktop-file-validate:desktop-file-utils xdg-mime:xdg-utils; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

step "install $deb ($(du -h "$deb" | cut -f1))"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
dpkg -s qwq-desktop | grep -E '^(Status|Version|Installed-Size)'
command -v qwq-desktop
desktop-file-validate /usr/share/applications/qwq-desktop.desktop && echo "desktop entry: valid"
qwq-desktop --version

step "a user, a scripted model"
user_home=$(mktemp -d /tmp/qwq-proof-home.XXXX)
model=$user_home/Downloads/scripted-qwq.gguf
mkdir -p "$(dirname "$model")"
"$PY" - "$model" <<'PY'
import sys
from pathlib import Path
from tests.fixtures.models import QWQ_SCRIPT
from tests.fixtures.scripted_model import write_scripted_model
write_scripted_model(Path(sys.argv[1]), QWQ_SCRIPT)
PY
export HOME=$user_home XDG_DATA_HOME=$user_home/.local/share XDG_CONFIG_HOME=$user_home/.config
echo "file type: $(xdg-mime query filetype "$model")"
echo "opens with: $(xdg-mime query default application/x-gguf || true)"

step "start the installed app under Xvfb, as a file manager opens a .gguf"
display=:97
Xvfb $display -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display
qwq-desktop "$model" >"$out/app.log" 2>&1 &
app=$!
settings=$XDG_CONFIG_HOME/qwq-desktop/settings.json
for _ in $(seq 1 120); do
  grep -q "scripted-qwq.gguf" "$settings" 2>/dev/null && break
  sleep 0.5
done
grep -q "scripted-qwq.gguf" "$settings" && echo "model loaded"
win=$(xdotool search --sync --name "QwQ Desktop" | head -1)
xdotool windowmove "$win" 0 0 windowsize "$win" 1100 760
xdotool windowfocus --sync "$win"
sleep 0.5

step "ask, as a person types"
xdotool type --delay 20 "What is 2+2?"
xdotool key Return
sleep 3
import -window root -crop 1100x760+0+0 "$out/installed-app.png"
echo "screenshot: $out/installed-app.png"
kill -TERM $app
wait $app 2>/dev/null || true

step "the conversation, read back through the installed CLI"
qwq-desktop export --all --format md | tee "$out/conversation.md" | grep -E "2\+2|answer is"

step "uninstall: the user's data stays"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq qwq-desktop >/dev/null
[[ -e /usr/bin/qwq-desktop ]] || echo "qwq-desktop: removed (no /usr/bin/qwq-desktop, no /opt/qwq-desktop: $([[ -e /opt/qwq-desktop ]] && echo still there || echo gone))"
ls "$XDG_DATA_HOME/qwq-desktop"
echo "proof: done"
