"""The built-in offline tools together, as a session offers them to the model.

``builtin_tools(store)`` makes the four, by the names the model sees:
``calculator(expression)``, ``python(code)``, ``datetime()``,
``search_conversations(query)``; ``call`` runs one by the name a model wrote, answering a
name that is not there with a sentence, like any other bad call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from app.store.conversations import ConversationStore
from app.tools.calculator import CALCULATOR
from app.tools.clock import datetime_tool, local_now
from app.tools.conversation_search import search_conversations_tool
from app.tools.python_runner import DEFAULT_LIMITS, PythonLimits, Sandbox, python_tool
from app.tools.tool import BuiltinTool, ToolResult

BUILTIN_NAMES = ("calculator", "python", "datetime", "search_conversations")


def builtin_tools(
    store: ConversationStore | None = None,
    *,
    names: Iterable[str] = BUILTIN_NAMES,
    python_limits: PythonLimits = DEFAULT_LIMITS,
    sandbox: Sandbox = Sandbox.AUTO,
    exclude_conversation: int | None = None,
    now: Callable[[], datetime] = local_now,
) -> dict[str, BuiltinTool]:
    """The built-in tools named in ``names``, by name, in the order given.
    ``search_conversations`` needs a store (without one it is left out);
    ``exclude_conversation`` is the conversation being answered."""
    makers: dict[str, Callable[[], BuiltinTool | None]] = {
        "calculator": lambda: CALCULATOR,
        "python": lambda: python_tool(python_limits, sandbox),
        "datetime": lambda: datetime_tool(now),
        "search_conversations": lambda: (
            None
            if store is None
            else search_conversations_tool(store, exclude_conversation=exclude_conversation)
        ),
    }
    tools: dict[str, BuiltinTool] = {}
    for name in names:
        if name not in makers:
            raise ValueError(f"No built-in tool is named {name!r} (there are {BUILTIN_NAMES}).")
        tool = makers[name]()
        if tool is not None:
            tools[name] = tool
    return tools


def call(tools: Mapping[str, BuiltinTool], name: object, arguments: object) -> ToolResult:
    """Run the tool a model called by ``name``; an unknown name is an error result naming
    the tools there are, so the model can correct the call."""
    tool = tools.get(name) if isinstance(name, str) else None
    if tool is None:
        there = ", ".join(tools) or "none"
        return ToolResult(f"There is no tool named {name!r}. The tools are: {there}.", False, 0.0)
    return tool.run(arguments)
