"""The translation catalog stays in step with the code: every text lupdate finds in app/
is in the committed .ts, translated, and the committed .qm is the one built from it."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TS = ROOT / "resources" / "translations" / "qwq-desktop_zh_CN.ts"
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%[vmp]")


def messages() -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(TS).getroot()
    return [
        (c.findtext("name") or "", m.findtext("source") or "", m.find("translation"))  # type: ignore[misc]
        for c in root.iter("context")
        for m in c.iter("message")
    ]


def test_the_catalog_and_its_build_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "packaging/translations.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_text_is_translated_with_its_placeholders() -> None:
    found = messages()
    assert len(found) > 250
    for context, source, translation in found:
        assert translation is not None and translation.get("type") is None, (context, source)
        text = translation.text or ""
        assert text.strip(), (context, source)
        # The same {fields} and %-codes, so .format() and Qt fill in every figure.
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (
            context,
            source,
            text,
        )


def test_the_core_marks_its_texts_without_qt() -> None:
    """The core's translatable texts are in the catalog too (found by lupdate through
    app/core/i18n.py's names), under their own contexts."""
    contexts = {context for context, _, _ in messages()}
    assert {"Format", "ChatSession", "FitPlan", "Overview", "RemotePreset"} <= contexts
