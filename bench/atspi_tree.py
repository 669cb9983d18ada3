"""The window's real accessibility tree on Linux (AT-SPI), after one exchange.

Qt's own accessibility objects are what the tests check (tests/ui/test_accessibility.py);
this reads what a screen reader (Orca) actually gets: the tree Qt's AT-SPI bridge
publishes on the accessibility bus. It counts the interactive controls (buttons, toggle
buttons, check boxes, combo boxes, text fields, lists, tables, spin boxes, sliders,
progress bars) and lists those without a usable name (no letter in it: "", "‹", "2/3").

It needs the system Python with PyGObject and the AT-SPI typelib, a session bus and an X
display (Xvfb), none of which CI has, so it is a script, not a test:

    apt-get install -y at-spi2-core python3-gi gir1.2-atspi-2.0 dbus-x11
    Xvfb :99 &
    DISPLAY=:99 /usr/bin/python3 bench/atspi_tree.py [--app-root CHECKOUT] [--python PY]

It starts a private session bus and the AT-SPI bus, runs bench/ui_atspi_window.py
(the window after one exchange on a scripted model) with the project's Python and
``QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1``, waits for READY, walks the tree, and stops
everything it started. ``--app-root`` runs another checkout's ``app`` (to measure
before and after a change).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
INTERACTIVE = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "combo box",
    "text",
    "entry",
    "password text",
    "list",
    "list box",
    "table",
    "tree",
    "tree table",
    "spin button",
    "slider",
    "progress bar",
    "page tab",
    "menu item",
}


def start_buses() -> list[subprocess.Popen[bytes]]:
    """A session bus of our own (its address in our environment) and the AT-SPI bus."""
    out = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = out[0]
    os.environ["QWQ_ATSPI_DBUS_PID"] = out[1]
    launcher = subprocess.Popen([BUS_LAUNCHER, "--launch-immediately"])
    time.sleep(1.0)
    return [launcher]


def usable(name: str) -> bool:
    return any(ch.isalpha() for ch in name)


def walk(node: object, depth: int = 0) -> list[tuple[str, str, bool, int]]:
    """(role, name, showing, depth) of every node under ``node``."""
    from gi.repository import Atspi

    out = []
    assert isinstance(node, Atspi.Accessible)
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is None:
            continue
        showing = child.get_state_set().contains(Atspi.StateType.SHOWING)
        out.append((child.get_role_name(), child.get_name() or "", showing, depth))
        out.extend(walk(child, depth + 1))
    return out


def find_app(pid: int, timeout: float = 30.0) -> object:
    from gi.repository import Atspi

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_process_id() == pid:
                return app
        time.sleep(0.5)
    raise SystemExit(f"the window (pid {pid}) never showed on the AT-SPI bus")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-root", default=str(ROOT), help="the checkout whose app runs")
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    parser.add_argument("--all", action="store_true", help="list every interactive node")
    args = parser.parse_args()
    if "DISPLAY" not in os.environ:
        raise SystemExit("set DISPLAY to an X server (Xvfb :99)")
    helpers = start_buses()
    import gi

    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi

    Atspi.init()
    env = dict(
        os.environ,
        QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1",
        QT_QPA_PLATFORM="xcb",
        PYTHONPATH=args.app_root,
        QWQ_APP_ROOT=args.app_root,
    )
    window = subprocess.Popen(
        [args.python, str(ROOT / "bench" / "ui_atspi_window.py")],
        env=env,
        cwd=args.app_root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert window.stdout is not None
        line = window.stdout.readline()
        if "READY" not in line:
            raise SystemExit(f"the window did not get ready: {line!r}")
        app = find_app(window.pid)
        nodes = walk(app)
        controls = [n for n in nodes if n[0] in INTERACTIVE]
        showing = [n for n in controls if n[2]]
        for label, group in (("showing", showing), ("all, hidden ones too", controls)):
            bad = [n for n in group if not usable(n[1])]
            print(f"{label}: {len(bad)} of {len(group)} interactive controls have no usable name")
        print("\nwithout a usable name (h: hidden now):")
        for role, name, shown, depth in (n for n in controls if not usable(n[1])):
            print(f"  {' ' if shown else 'h'} {'  ' * min(depth, 8)}{role}: {name!r}")
        if args.all:
            print("\nevery interactive node (showing):")
            for role, name, _, depth in showing:
                print(f"  {'  ' * min(depth, 8)}{role}: {name!r}")
            print("\nevery node named Answer or Code (any role):")
            for role, name, shown, _ in nodes:
                if name.startswith(("Answer", "Code")):
                    print(f"  {role}: {name!r} showing={shown}")
        return 0
    finally:
        window.terminate()
        window.wait(10)
        for helper in helpers:
            helper.terminate()
        os.kill(int(os.environ["QWQ_ATSPI_DBUS_PID"]), signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
