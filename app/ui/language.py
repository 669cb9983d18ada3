"""The window's language: English, or Simplified Chinese when the system asks for it (or
the setting chooses it), for our texts, the core's messages and Qt's own dialogs.

Chosen once at start (a change in Settings applies at the next start): widgets built in
English would not re-translate themselves. Our catalog is
``resources/translations/qwq-desktop_zh_CN.qm`` (built from the committed ``.ts`` by
``packaging/translations.py``); Qt's standard buttons and file dialogs come from the
``qtbase_zh_CN.qm`` that PySide6 ships. The core's ``translate`` is routed through Qt's, so
an error raised below the UI reaches the user in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from app.core import i18n
from app.core.i18n import QT_TRANSLATE_NOOP

TRANSLATIONS = Path(__file__).resolve().parent.parent.parent / "resources" / "translations"
CATALOG = "qwq-desktop"
# Fonts with Simplified Chinese glyphs on each system, tried in this order after the
# platform's default UI font, so Chinese never falls back to boxes or a mismatched face.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
)


# Qt's own texts that qtbase_zh_CN.qm (Qt 6.11) leaves in English, in its own contexts:
# our catalog is installed after Qt's, so these entries fill the gaps.
QT_GAPS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)


def resolve(setting: str, system: QLocale | None = None) -> str:
    """The language to show: "zh_CN" or "en". "system" follows the system's locale: any
    Chinese written in simplified characters (zh_CN, zh_SG, zh-Hans) is zh_CN."""
    if setting in ("en", "zh_CN"):
        return setting
    locale = system or QLocale.system()
    simplified = locale.script() != QLocale.Script.TraditionalChineseScript
    return "zh_CN" if locale.language() == QLocale.Language.Chinese and simplified else "en"


@dataclass
class InstalledLanguage:
    """What ``install`` put into the application, so a test can take it out again."""

    name: str
    translators: list[QTranslator] = field(default_factory=list)
    font: QFont | None = None  # the application font before, if it was changed
    locale: QLocale | None = None  # the default locale before, if it was changed

    def remove(self) -> None:
        app = QCoreApplication.instance()
        for t in self.translators:
            if app is not None:
                QCoreApplication.removeTranslator(t)
        self.translators.clear()
        i18n.install(None)
        if self.font is not None and isinstance(app, QApplication):
            QApplication.setFont(self.font)
        if self.locale is not None:
            QLocale.setDefault(self.locale)


def install(app: QApplication, setting: str) -> InstalledLanguage:
    """Load and install the translators for ``setting`` ("system", "en" or "zh_CN")."""
    name = resolve(setting)
    installed = InstalledLanguage(name)
    if name == "en":
        return installed
    installed.locale = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for file, folder in ((f"qtbase_{name}", qt_dir), (f"{CATALOG}_{name}", str(TRANSLATIONS))):
        translator = QTranslator(app)
        if translator.load(file, folder):
            QCoreApplication.installTranslator(translator)
            installed.translators.append(translator)
    i18n.install(QCoreApplication.translate)
    installed.font = QFont(app.font())
    font = QFont(app.font())
    font.setFamilies([app.font().family(), *CJK_FAMILIES])
    QApplication.setFont(font)
    return installed
