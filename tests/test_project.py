"""The README's promises about the project itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_opens_with_install_and_test_commands() -> None:
    start, test = _readme_commands()
    assert "pip install -e ." in start and start.strip().endswith("qwq-desktop")
    assert "pip install -e '.[test]'" in test and "pytest" in test
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("```sh")[0]
    assert len(head.splitlines()) <= 4  # the commands come first


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test = _readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == test.strip()
