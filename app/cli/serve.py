"""``qwq-desktop serve``: the local OpenAI-compatible API, headless."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from app.api.server import DASHSCOPE_NAME, ApiServer, is_loopback, model_id
from app.engine.local_engine import LoadSettings, LocalEngine

KEY_ENV = "QWQ_DESKTOP_API_KEY"


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
        "--api-key", metavar="KEY", help=f"require this key on every request (or set {KEY_ENV})"
    )
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow browser pages from this origin (repeatable; none by default)",
    )
    p.add_argument("--context", type=int, metavar="N", help="context length (default 32768)")
    p.add_argument("--gpu-layers", type=int, metavar="N", help="layers on the GPU (-1: all)")
    p.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    key = args.api_key or os.environ.get(KEY_ENV) or None
    engine = LocalEngine(
        args.model, LoadSettings(context_length=args.context, gpu_layers=args.gpu_layers)
    )
    server = ApiServer(
        lambda: engine, host=args.host, port=args.port, api_key=key,
        cors_origins=tuple(args.cors_origin),
    )  # fmt: skip
    print(
        f"Serving {model_id(engine)} at {server.url} (model names: {model_id(engine)}, "
        f"{DASHSCOPE_NAME}); Ctrl+C stops.",
        file=sys.stderr,
    )
    if not is_loopback(args.host) and not key:
        print(
            f"qwq-desktop: warning: listening on {args.host} without an API key: anyone who "
            "can reach this machine can use the model. Set --api-key.",
            file=sys.stderr,
        )
    try:
        server.run_forever()
    finally:
        engine.close()
    return 0
