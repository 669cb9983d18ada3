"""``qwq-desktop serve``: the local OpenAI-compatible API, headless.

Loopback only by default; a keyless server elsewhere only with an explicit flag. It
ends on Ctrl+C or SIGTERM, open requests cancelled after a short grace.
"""

from __future__ import annotations

import argparse
import socket
import sys
from typing import Any

from app.api.server import DASHSCOPE_NAME, ApiServer, is_loopback, model_id
from app.core import keys
from app.core.errors import QwQError
from app.core.settings import AppSettings
from app.core.thinking import LOOP_ACTIONS
from app.engine.local_engine import LocalEngine, load_settings_from


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "serve",
        help="serve a GGUF model as an OpenAI-compatible API (http://127.0.0.1:8080/v1)",
        description="Serve a model at /v1/chat/completions and /v1/models. The reasoning "
        "arrives in reasoning_content, the answer in content.",
    )
    p.add_argument("--model", "-m", required=True, metavar="PATH", help="a GGUF model file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"require this key on every request (default: {keys.LOCAL_KEY_ENV}, then the "
        "key set in the window's Settings)",
    )
    p.add_argument(
        "--allow-remote-without-key",
        action="store_true",
        help="serve on a non-loopback address without an API key (anyone who can reach "
        "this machine can use the model)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests addressed to this host name (repeatable; loopback names "
        "and the bound address always are)",
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from this origin (repeatable; none by default)",
    )
    p.add_argument(
        "--loop-guard",
        choices=LOOP_ACTIONS,
        default="answer",
        help="when a trace repeats itself: answer from it (default), stop, or off",
    )
    p.add_argument(
        "--context",
        type=int,
        metavar="N",
        help="context length (default: as in Settings, else 32768)",
    )
    p.add_argument("--gpu-layers", type=int, metavar="N", help="layers on the GPU (-1: all)")
    p.set_defaults(handler=run_serve)


def check_can_listen(host: str, port: int) -> None:
    """Before the model loads: the address is free and ours to bind."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except (OSError, OverflowError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise QwQError(f"cannot listen on {host}:{port}: {reason}.") from None


def run_serve(args: argparse.Namespace) -> int:
    key = keys.local_api_key(args.api_key)
    if not is_loopback(args.host) and not key and not args.allow_remote_without_key:
        raise QwQError(
            f"refusing to listen on {args.host} without an API key: anyone who can reach "
            "this machine could use the model. Set --api-key (or pass "
            "--allow-remote-without-key)."
        )
    check_can_listen(args.host, args.port)
    engine = LocalEngine(
        args.model,
        load_settings_from(
            AppSettings.load(), context_length=args.context, gpu_layers=args.gpu_layers
        ),
    )
    try:
        server = ApiServer(
            lambda: engine,
            host=args.host,
            port=args.port,
            api_key=key,
            cors_origins=tuple(args.cors_origin),
            allowed_hosts=tuple(args.allow_host),
            allow_remote_without_key=args.allow_remote_without_key,
            loop_guard=args.loop_guard,
        )
        print(
            f"Serving {model_id(engine)} at {server.url} (model names: {model_id(engine)}, "
            f"{DASHSCOPE_NAME}); Ctrl+C stops.",
            file=sys.stderr,
        )
        if not is_loopback(args.host) and not key:
            print(
                f"qwq-desktop: warning: listening on {args.host} without an API key: anyone "
                "who can reach this machine can use the model.",
                file=sys.stderr,
            )
        server.run_forever()
    finally:
        engine.close()
    return 0
