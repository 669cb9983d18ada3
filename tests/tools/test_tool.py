"""A tool's arguments come from a model: anything may arrive, and every mistake is answered
with a sentence, never an exception."""

from __future__ import annotations

import pytest

from app.tools.tool import BuiltinTool, ToolError, ToolResult, string_parameters


def _echo(text: str, times: str) -> str:
    if times == "boom":
        raise RuntimeError("a bug")
    if times == "no":
        raise ToolError("times must be a number written as text.")
    return text * int(times)


ECHO = BuiltinTool(
    name="echo",
    description="Repeat a text.",
    parameters=string_parameters(text=("The text.", 10), times=("How often.", 4)),
    needs_approval=False,
    action=_echo,
)


def test_good_arguments_run_and_are_timed() -> None:
    result = ECHO.run({"text": "ab", "times": "3"})
    assert result == ToolResult("ababab", True, result.seconds)
    assert result.seconds >= 0
    assert result.for_model == "ababab"


def test_arguments_as_json_text_are_taken() -> None:
    assert ECHO.run('{"text": "x", "times": "2"}').text == "xx"


EXPECTED = "echo takes: text (string), times (string)."


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ({"text": "x"}, f"The argument 'times' is missing. {EXPECTED}"),
        (
            {"text": 5, "times": "1"},
            f"The argument 'text' must be a string, not a number. {EXPECTED}",
        ),
        (
            {"text": True, "times": "1"},
            f"The argument 'text' must be a string, not a boolean. {EXPECTED}",
        ),
        (
            {"text": None, "times": "1"},
            f"The argument 'text' must be a string, not null. {EXPECTED}",
        ),
        (
            {"text": ["x"], "times": "1"},
            f"The argument 'text' must be a string, not an array. {EXPECTED}",
        ),
        ({"text": "x", "times": "1", "loud": "yes"}, f"Unknown argument 'loud'. {EXPECTED}"),
        (
            {"text": "x" * 11, "times": "1"},
            "The argument 'text' is too long (11 characters; the limit is 10).",
        ),
        ([1, 2], f"The arguments must be a JSON object. {EXPECTED}"),
        (42, f"The arguments must be a JSON object. {EXPECTED}"),
        ('{"text": "x", ', f"The arguments are not valid JSON. {EXPECTED}"),
        ({"text": "x", "times": "no"}, "times must be a number written as text."),
        (
            {"text": "x", "times": "boom"},
            "The echo tool failed unexpectedly (RuntimeError: a bug).",
        ),
    ],
)
def test_bad_arguments_are_an_error_sentence(arguments: object, sentence: str) -> None:
    result = ECHO.run(arguments)
    assert not result.ok
    assert result.text == sentence
    assert result.for_model == f"Error: {sentence}"


def test_the_schema_is_what_a_chat_template_takes() -> None:
    assert ECHO.schema() == {
        "type": "function",
        "function": {
            "name": "echo",
            "description": "Repeat a text.",
            "parameters": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The text.", "maxLength": 10},
                    "times": {"type": "string", "description": "How often.", "maxLength": 4},
                },
                "required": ["text", "times"],
                "additionalProperties": False,
            },
        },
    }


def test_a_builtin_tool_is_told_to_the_model_as_a_tool_spec() -> None:
    """One description of a tool: the template renders the built-in tools through the
    same ToolSpec as any other."""
    from app.core.tool_calls import ToolSpec
    from app.tools.calculator import CALCULATOR

    spec = CALCULATOR.spec()
    assert isinstance(spec, ToolSpec) and spec.name == "calculator"
    assert spec.to_openai() == CALCULATOR.schema()
    assert spec.to_openai()["function"]["parameters"]["required"] == ["expression"]
