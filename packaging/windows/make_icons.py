"""Render resources/icons/qwq-desktop.svg into the Windows .ico and a macOS .iconset.

    python packaging/windows/make_icons.py --ico packaging/windows/qwq-desktop.ico
    python packaging/windows/make_icons.py --iconset build/qwq-desktop.iconset
    iconutil -c icns -o packaging/macos/qwq-desktop.icns build/qwq-desktop.iconset

Each size is drawn from the SVG (QtSvg), not scaled down from a big bitmap, so the
16 and 32 px icons stay sharp. Needs PySide6, and Pillow for --ico. Used by both
packaging/windows/build.ps1 and packaging/macos/build.sh.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRectF  # noqa: TID251 (a build tool, not the app)
from PySide6.QtGui import QImage, QPainter  # noqa: TID251
from PySide6.QtSvg import QSvgRenderer  # noqa: TID251

ROOT = Path(__file__).resolve().parents[2]
SVG = ROOT / "resources" / "icons" / "qwq-desktop.svg"

# What Windows asks for: Explorer views, the taskbar, Start, at 100-200 % scaling.
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)

# The files iconutil expects in a .iconset, and their pixel sizes.
ICONSET = {
    f"icon_{points}x{points}{suffix}.png": points * factor
    for points in (16, 32, 128, 256, 512)
    for suffix, factor in (("", 1), ("@2x", 2))
}

# macOS icons sit on Apple's grid: the rounded square is 824 of 1024 px with a margin
# around it. The SVG's square fills 240 of its 256 units, so draw it at ~86 %.
MACOS_SCALE = (824 / 1024) / (240 / 256)


def render(renderer: QSvgRenderer, size: int, scale: float = 1.0) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    side = size * scale
    offset = (size - side) / 2
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(offset, offset, side, side))
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stub types the format as bytes, but the binding only takes str.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError("Qt could not encode a PNG")
    return bytes(buffer.data().data())


def write_ico(renderer: QSvgRenderer, path: Path) -> None:
    from PIL import Image  # only the .ico needs Pillow

    frames = [Image.open(io.BytesIO(png_bytes(render(renderer, s)))) for s in ICO_SIZES]
    largest = frames[-1]
    # Pillow takes each size from the frame of that exact size instead of resizing.
    largest.save(path, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=frames[:-1])


def write_iconset(renderer: QSvgRenderer, folder: Path) -> None:
    if folder.suffix != ".iconset":
        raise SystemExit(f"{folder}: iconutil wants a folder whose name ends in .iconset")
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in ICONSET.items():
        if not render(renderer, size, MACOS_SCALE).save(str(folder / name)):  # PNG, from the name
            raise RuntimeError(f"could not write {folder / name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ico", type=Path, help="write a Windows .ico here")
    parser.add_argument("--iconset", type=Path, help="write a macOS .iconset folder here")
    args = parser.parse_args()
    if args.ico is None and args.iconset is None:
        parser.error("nothing to do: give --ico and/or --iconset")
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG}: not a valid SVG")
    if args.ico is not None:
        write_ico(renderer, args.ico)
        print(f"wrote {args.ico}")
    if args.iconset is not None:
        write_iconset(renderer, args.iconset)
        print(f"wrote {args.iconset}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
