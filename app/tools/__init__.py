"""Tools QwQ can call: the built-in offline ones (calculator, Python runner, date and time,
search of this app's conversations), each a :class:`app.tools.tool.BuiltinTool`, and the
tools of the MCP servers the user configured (:mod:`app.tools.mcp_config`) and started
(:mod:`app.tools.mcp_servers`).

Qt-free, below the session: the session runs the loop think → call → result → think and
asks a face for approval; nothing here asks anyone anything.
"""
