"""Chat templates from model files are hostile code: whatever one does ends in the prompt
or in one clear ModelFileError line, within seconds and a bounded amount of memory. The
hostile ones run in a child process under a memory limit, so a template that makes
gigabytes fails the test instead of the test runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.errors import ModelFileError
from app.core.messages import ChatMessage
from app.engine.chat_template import check_templates, render_prompt
from app.engine.local_engine import LocalEngine
from app.models import library
from tests.fixtures.cli import ROOT, cli, one_clear_line
from tests.fixtures.gguf_bytes import small_model
from tests.fixtures.memory_box import PRELUDE
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import QWQ_TEMPLATE

MB = 1024 * 1024
HEADROOM = 768 * MB  # address space the renders may add to what Python uses already

LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
HOSTILE = {
    "a string of 300 million": "{{ 'x' * 300000000 }}",
    "range(10**9)": "{% for i in range(10**9) %}{% endfor %}",
    "ten billion iterations": LOOP,
    "a recursive macro": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "a macro calling itself twice": (
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}"
    ),
    "a syntax error": "{% for %}",
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
    ),
    "a power of a power": "{% set ns = namespace(n=10) %}{% for i in range(40) %}"
    "{% set ns.n = ns.n ** 2 %}{% endfor %}{{ ns.n }}",
    "center(10**9)": "{{ 'x' | center(1000000000) }}",
    "a format width": "{{ '{:>999999999}'.format(1) }}",
    "a format width argument": "{{ '%*s' % (999999999, 'x') }}",
    "indent of a million lines": "{{ ('\n' * 1000000) | indent(1000) }}",
    "join with a long separator": "{{ ('x' * 1000000) | list | join('y' * 1000) }}",
    "join of a generator with a long separator": (
        "{{ range(100000) | map('string') | join('x' * 1000000) }}"
    ),
    "str.join of a generator": "{{ ('x' * 1000000).join(range(100000) | map('string')) }}",
    "replace into a long string": "{{ ('a' * 1000000).replace('a', 'b' * 1000) }}",
    "a list of a million long strings": "{{ ['y' * 1000000] * 1000000 }}",
    "blocks of output kept in a list": (
        "{% set ns = namespace(l=[]) %}{% for j in range(1000) %}{% set x %}"
        "{% for i in range(100000) %}" + "x" * 100 + "{% endfor %}{% endset %}"
        "{% set ns.l = ns.l + [x] %}{% endfor %}"
    ),
    "slices kept in a list": (
        "{% set s = 'x' * 1000000 %}{% set ns = namespace(l=[]) %}"
        "{% for j in range(100000) %}{% set ns.l = ns.l + [s[j:]] %}{% endfor %}"
    ),
    "many small strings kept in a list": (
        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}"
        "{% set ns.l = ns.l + [(('ab' ~ i ~ '\\n') * 100000).splitlines()] %}{% endfor %}"
    ),
    "a quadratic sum": "{{ ([[1]] * 100000) | sum(start=[]) }}",
    "to_bytes(10**9)": "{{ (1).to_bytes(1000000000, 'big') }}",
    "output in a loop": "{% for i in range(100000) %}{% for j in range(100000) %}"
    + "x" * 100
    + "{% endfor %}{% endfor %}",
    "a list nested 100,000 deep": (
        "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}"
        "{% endfor %}{{ ns.l }}"
    ),
    "a shared list printed 2**60 times": (
        "{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}"
        "{% endfor %}{{ ns.l | tojson }}"
    ),
    "parentheses 5,000 deep": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    "a 100,000-character template": "x" * 100_000,
    "a way out of the sandbox": "{{ messages.__class__.__mro__[1].__subclasses__() }}",
}

_BOX = (
    PRELUDE
    + """
from app.core.messages import ChatMessage
from app.engine.chat_template import render_prompt

templates = json.loads(sys.stdin.read())
render_prompt(None, [ChatMessage.user("warm up")])
cap_memory(int(sys.argv[1]))
for name, template in templates.items():
    rendered = outcome(lambda: render_prompt(template, [ChatMessage.user("Hi")]) and "rendered")
    print(json.dumps({name: rendered}), flush=True)
"""
)


def test_every_hostile_template_is_one_clear_line_in_bounded_time_and_memory() -> None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _BOX, str(HEADROOM)],
            input=json.dumps(HOSTILE),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=150,
        )
        output = done.stdout
    except subprocess.TimeoutExpired as e:
        output = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    outcomes: dict[str, dict[str, object]] = {}
    for line in output.splitlines():
        outcomes.update(json.loads(line))
    assert list(outcomes) == list(HOSTILE), f"stopped after {list(outcomes)[-1:]}: {output}"
    bad = {}
    for name, outcome in outcomes.items():
        error = str(outcome.get("error", ""))
        if (
            not error.startswith("The model's chat template ")
            or "\n" in error
            or float(str(outcome["seconds"])) > 8
        ):
            bad[name] = outcome
    assert not bad, json.dumps(bad, indent=1)


def test_the_official_template_renders_as_before() -> None:
    messages = [ChatMessage.system("Be brief.")]
    expected = "<|im_start|>system\nBe brief.<|im_end|>\n"
    for i in range(300):
        messages += [
            ChatMessage.user(f"q{i} " + "word " * 50),
            ChatMessage.assistant(f"<think>\nt{i}\n</think>\n\na{i}", reasoning=f"t{i}"),
        ]
        expected += f"<|im_start|>user\nq{i} {'word ' * 50}<|im_end|>\n"
        expected += f"<|im_start|>assistant\na{i}<|im_end|>\n"
    messages.append(ChatMessage.user("last"))
    expected += "<|im_start|>user\nlast<|im_end|>\n<|im_start|>assistant\n<think>\n"
    assert render_prompt(QWQ_TEMPLATE, messages) == expected


def test_the_limits_grow_with_the_conversation() -> None:
    """A long history (8 MB) or one huge message is rendered, never refused."""
    long_history = [ChatMessage.user("x" * 4_000) for _ in range(2_000)]
    assert len(render_prompt(QWQ_TEMPLATE, long_history)) > 8_000_000
    huge = [ChatMessage.user("y" * 6 * MB), ChatMessage.assistant("ok"), ChatMessage.user("?")]
    assert "y" * 6 * MB in render_prompt(QWQ_TEMPLATE, huge)


def test_template_features_real_models_use_still_work() -> None:
    template = (
        "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
        "{{ '%s:%d|' % (m.role, loop.index) }}{{ m.content | upper | replace('A', 'a') }}"
        "{{ ' ' ~ m.content[:2] ~ '|' }}{% generation %}{{ m.role | tojson }}{% endgeneration %}"
        "{% endfor %}{{ ns.n }} {{ '{}-{}'.format(bos_token, eos_token) }}"
        "{{ [1, 2, 3] | join(',') }} {{ (messages | map(attribute='role') | list) | length }}"
    )
    messages = [ChatMessage.user("Abc"), ChatMessage.assistant("dAe")]
    rendered = render_prompt(template, messages, bos_token="<s>", eos_token="</s>")
    assert rendered == 'user:1|aBC Ab|"user"assistant:2|DaE dA|"assistant"2 <s>-</s>1,2,3 2'


def test_a_template_error_raised_on_purpose_is_its_own_message() -> None:
    with pytest.raises(ModelFileError, match="Only user and assistant roles"):
        render_prompt(
            "{{ raise_exception('Only user and assistant roles are supported!') }}",
            [ChatMessage.user("Hi")],
        )


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{% for %}", "syntax error on line 1"),
        ("{% if x %}" * 3 + "never closed", "syntax error"),
        ("x" * 100_000, "too long: 100,000 characters"),
    ],
)
def test_a_model_whose_template_cannot_compile_is_refused_at_load(
    scripted: ScriptFactory, template: str, reason: str
) -> None:
    model = scripted(["x"], template=template)
    with pytest.raises(ModelFileError, match=reason):
        LocalEngine(model.path)  # llama-cpp-python would raise TemplateSyntaxError itself
    with pytest.raises(ModelFileError, match=reason):
        check_templates({"tokenizer.chat_template.tool_use": template})


def test_the_cli_says_so_in_one_line(scripted: ScriptFactory) -> None:
    model = scripted(["x"], template="{% for %}")
    one_clear_line(cli("ask", "--model", str(model.path), "Hi"), "chat template has a syntax")
    one_clear_line(cli("models", "--add", str(model.path)), "chat template has a syntax")


def test_a_template_failing_while_rendering_is_one_line_in_the_cli(
    scripted: ScriptFactory,
) -> None:
    model = scripted(["x"], template="{% for i in range(10**9) %}{% endfor %}")
    one_clear_line(cli("ask", "--model", str(model.path), "Hi"), "chat template")


def test_the_sandbox_still_keeps_python_out(tmp_path: Path) -> None:
    for evil in (
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ messages.append(1) }}",
    ):
        with pytest.raises(ModelFileError):
            render_prompt(evil, [ChatMessage.user("Hi")])


def test_a_template_too_long_to_read_is_refused_not_replaced(tmp_path: Path) -> None:
    """A 2 MB template is not decoded, and the model is refused: silently using ChatML
    instead would give a model a prompt format it does not know."""
    path = tmp_path / "long-template.gguf"
    path.write_bytes(small_model(template="x" * 2 * MB).to_bytes())
    with pytest.raises(ModelFileError, match="too long: 2,097,152 bytes"):
        library.validate(path, check_architecture=False)


def test_a_file_with_many_templates_is_refused() -> None:
    many = {f"tokenizer.chat_template.t{i}": "{{ 1 }}" for i in range(1000)}
    with pytest.raises(ModelFileError, match="1,000 chat templates"):
        check_templates(many)
