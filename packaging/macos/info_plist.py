"""The keys packaging/qwq-desktop.spec adds to the macOS app's Info.plist.

The spec passes them as ``BUNDLE(..., version=VERSION, info_plist={**INFO_PLIST,
"CFBundleVersion": VERSION})`` with the version from pyproject.toml. PyInstaller itself
writes the name, executable, icon, bundle id (``io.github.qwq-desktop``),
``CFBundleShortVersionString`` (from ``version=``) and, for a windowed EXE
(``console=False``; ``console=True`` would make it a background-only app without a Dock
icon), ``NSHighResolutionCapable``.

``.gguf`` files: the app declares (exports) a type for them, ``io.github.qwq-desktop.gguf``,
and says it opens that type, so Finder's "Open With" lists QwQ Desktop and a double-click
on a .gguf can open it. Finder hands the file over as an Apple Event, which Qt delivers
as a ``QFileOpenEvent``: the app must handle that event; it gets no ``--model PATH``.
"""

from __future__ import annotations

GGUF_UTI = "io.github.qwq-desktop.gguf"

INFO_PLIST: dict[str, object] = {
    "LSApplicationCategoryType": "public.app-category.productivity",
    # Qt 6.10 and 6.11 (PySide6 < 6.12) support macOS 13 and later.
    "LSMinimumSystemVersion": "13.0",
    # Follow the system's light/dark appearance.
    "NSRequiresAquaSystemAppearance": False,
    "CFBundleDocumentTypes": [
        {
            "CFBundleTypeName": "GGUF model",
            "CFBundleTypeRole": "Viewer",
            "LSHandlerRank": "Default",
            "LSItemContentTypes": [GGUF_UTI],
        }
    ],
    "UTExportedTypeDeclarations": [
        {
            "UTTypeIdentifier": GGUF_UTI,
            "UTTypeDescription": "GGUF model",
            "UTTypeConformsTo": ["public.data"],
            "UTTypeTagSpecification": {"public.filename-extension": ["gguf"]},
        }
    ],
}
