"""Tool calls read from the answer stream: any cutting of the text gives the same calls."""

from __future__ import annotations

import itertools
import json

import pytest

from app.core.tool_calls import (
    CLOSE_TAG,
    MAX_CALL_CHARS,
    OPEN_TAG,
    MalformedToolCall,
    Parsed,
    ToolCall,
    ToolCallParser,
    ToolSpec,
    join_text,
    parse_answer,
)

CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2**10"}}\n</tool_call>'
ANSWER = f"Let me check that.\n{CALL}\nDone."


def streamed(chunks: list[str], *, id_prefix: str = "call_") -> list[Parsed]:
    parser = ToolCallParser(id_prefix=id_prefix)
    out: list[Parsed] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.flush()


def merged(items: list[Parsed]) -> list[Parsed]:
    """Consecutive texts joined: the split of text between deltas is the caller's business."""
    out: list[Parsed] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        elif item != "":
            out.append(item)
    return out


def raw_text(items: list[Parsed]) -> str:
    return "".join(item if isinstance(item, str) else item.raw for item in items)


def test_a_call_between_texts() -> None:
    items = parse_answer(ANSWER)
    assert items == [
        "Let me check that.\n",
        ToolCall("call_1", "calculator", {"expression": "2**10"}, CALL),
        "\nDone.",
    ]
    assert join_text(items) == "Let me check that.\n\nDone."


@pytest.mark.parametrize("cut", range(len(ANSWER) + 1))
def test_every_cut_of_a_real_call_gives_the_same_result(cut: int) -> None:
    assert merged(streamed([ANSWER[:cut], ANSWER[cut:]])) == merged(parse_answer(ANSWER))


def test_one_character_at_a_time() -> None:
    assert merged(streamed(list(ANSWER))) == merged(parse_answer(ANSWER))


def test_the_tag_split_across_deltas() -> None:
    parser = ToolCallParser()
    assert parser.feed("Sure. <tool_") == ["Sure. "]  # only the possible tag is held
    assert parser.feed("call>") == []
    assert parser.inside_call
    assert parser.feed('{"name": "datetime", "arguments": {}}</tool_') == []
    [call] = parser.feed("call>")
    assert isinstance(call, ToolCall) and call.name == "datetime" and call.arguments == {}
    assert not parser.inside_call
    assert parser.flush() == []


def test_ordinary_text_is_never_held_back_but_for_a_tag_prefix() -> None:
    parser = ToolCallParser()
    assert parser.feed("a < b and x<y") == ["a < b and x<y"]
    assert parser.feed(" then <") == [" then "]
    assert parser.feed("b>bold</b>") == ["<b>bold</b>"]
    assert parser.feed("<tool_calx") == ["<tool_calx"]
    assert parser.feed("</tool_call> is a tag") == ["</tool_call> is a tag"]  # not in a call
    assert parser.feed(" <tool_call") == [" "]
    assert parser.flush() == ["<tool_call"]  # an unfinished tag at the end is text


def test_several_calls_in_one_message_get_unique_ids() -> None:
    text = (
        "First:\n"
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "1/3"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "python", "arguments": {"code": "print(1)"}}\n</tool_call>'
        "between"
        '<tool_call>{"name": "datetime", "arguments": {}}</tool_call>'
    )
    items = parse_answer(text, id_prefix="r2_")
    calls = [i for i in items if isinstance(i, ToolCall)]
    assert [(c.id, c.name) for c in calls] == [
        ("r2_1", "calculator"),
        ("r2_2", "python"),
        ("r2_3", "datetime"),
    ]
    assert calls[1].arguments == {"code": "print(1)"}
    assert [i for i in items if isinstance(i, str)] == ["First:\n", "\n", "between"]
    assert raw_text(items) == text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"name": "calculator", "arguments": {"expression": "1+"', "not valid JSON"),
        ("", "empty"),
        ('["calculator", {}]', "must be a JSON object"),
        ('{"arguments": {"expression": "1"}}', 'no "name"'),
        ('{"name": "", "arguments": {}}', 'no "name"'),
        ('{"name": 7, "arguments": {}}', 'no "name"'),
        ('{"name": "calc ulator", "arguments": {}}', "not a valid name"),
        ('{"name": "calculator", "arguments": [1, 2]}', '"arguments" must be a JSON object'),
        ('{"name": "calculator", "arguments": "2+2"}', '"arguments" must be a JSON object'),
        ('{"name": "calculator", "arguments": "[1]"}', '"arguments" must be a JSON object'),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_malformed_calls_are_reported_with_a_reason(body: str, reason: str) -> None:
    raw = f"{OPEN_TAG}\n{body}\n{CLOSE_TAG}"
    parser = ToolCallParser()
    items = parser.feed(f"Try:{raw}after") + parser.flush()
    assert items[0] == "Try:" and items[-1] == "after"
    [bad] = items[1:-1]
    assert isinstance(bad, MalformedToolCall)
    assert reason in bad.reason and bad.raw == raw and bad.id == "call_1"
    assert bad.reason.endswith(".") and "\n" not in bad.reason  # one sentence for the model
    assert parser.malformed == [bad] and parser.calls == []


def test_lenient_where_the_meaning_is_plain() -> None:
    no_args, as_string, null = (
        parse_answer(f"<tool_call>{body}</tool_call>")[0]
        for body in (
            '{"name": "datetime"}',
            '{"name": "calculator", "arguments": "{\\"expression\\": \\"3\\"}"}',
            '{"name": " datetime ", "arguments": null}',
        )
    )
    assert isinstance(no_args, ToolCall) and no_args.arguments == {}
    assert isinstance(as_string, ToolCall) and as_string.arguments == {"expression": "3"}
    assert isinstance(null, ToolCall) and null.name == "datetime" and null.arguments == {}


def test_an_unclosed_call_at_the_end_is_malformed() -> None:
    parser = ToolCallParser()
    assert parser.feed('Hmm <tool_call>\n{"name": "calculator", "argu') == ["Hmm "]
    [bad] = parser.flush()
    assert isinstance(bad, MalformedToolCall)
    assert "not closed" in bad.reason
    assert bad.raw == '<tool_call>\n{"name": "calculator", "argu'
    assert parser.flush() == []


def test_an_endless_call_is_cut_at_the_limit_and_the_rest_dropped() -> None:
    parser = ToolCallParser()
    out = parser.feed("x" + OPEN_TAG)
    chunk = "y" * 4096
    for _ in range(MAX_CALL_CHARS // len(chunk) + 2):
        out += parser.feed(chunk)
    [text, bad] = out
    assert text == "x"
    assert isinstance(bad, MalformedToolCall) and "longer than" in bad.reason
    assert len(bad.raw) == len(OPEN_TAG) + MAX_CALL_CHARS
    assert len(parser._buf) < len(CLOSE_TAG)  # nothing more is held
    assert parser.feed("yy</tool_") == []
    assert parser.feed("call> and on") == [" and on"]
    assert parser.flush() == []
    assert len(parser.malformed) == 1


# A small exhaustive fuzz: every text of up to five pieces from an alphabet that holds
# the tags, their parts and JSON, cut every way into two and three chunks, gives what the
# whole text gives, and loses nothing.
PIECES = ["<tool_", "call>", OPEN_TAG, CLOSE_TAG, '{"name": "a"}', "<", "x", "</tool_call"]


def test_exhaustive_small_fuzz() -> None:
    for n in range(1, 5):
        for combo in itertools.product(PIECES, repeat=n):
            text = "".join(combo)
            whole = parse_answer(text)
            assert raw_text(whole) == text
            for i in range(len(text) + 1):
                assert merged(streamed([text[:i], text[i:]])) == merged(whole), (text, i)
            for i, j in itertools.combinations(range(len(text) + 1), 2):
                if (i + j) % 9 == 0:  # a sample of three-way cuts keeps this to about a second
                    chunks = [text[:i], text[i:j], text[j:]]
                    assert merged(streamed(chunks)) == merged(whole), (text, i, j)


def test_a_tool_spec_is_the_openai_shape() -> None:
    spec = ToolSpec(
        "calculator",
        "Exact arithmetic.",
        {"type": "object", "properties": {"expression": {"type": "string"}}},
    )
    assert spec.to_openai() == {
        "type": "function",
        "function": {
            "name": "calculator",
            "description": "Exact arithmetic.",
            "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
        },
    }
    assert ToolSpec("datetime", "Now.").to_openai()["function"]["parameters"] == {
        "type": "object",
        "properties": {},
    }
    json.dumps(spec.to_openai())  # it goes into a template's tojson


def test_a_call_for_the_template_keeps_its_arguments_as_an_object() -> None:
    call = ToolCall("call_1", "calculator", {"expression": "1"})
    assert call.for_template() == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "calculator", "arguments": {"expression": "1"}},
    }
