"""The Jinja sandbox for organizations' templates: immutable, with a small range(), bounded
repetition, and a budget of loop steps, calls and output per part (renderers.py adds the time
and memory limits, which only a separate process can enforce)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

# What one part of one message may cost. A customer e-mail needs far less than any of these.
MAX_RANGE = 1_000  # numbers in one range()
MAX_STEPS = 100_000  # loop iterations and calls, over the whole part
MAX_OUTPUT = 512 * 1024  # characters of one part


class OverBudget(jinja2.TemplateError):
    """The template does more work than a message may."""


class _Budget:
    def __init__(self) -> None:
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise OverBudget(f"loops and calls ran more than {MAX_STEPS:,} steps")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "template_budget", default=None
)


def _step() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.step()


def _limited_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise OverBudget(f"range() may give at most {MAX_RANGE:,} numbers")
    return numbers


class _CountingCodeGenerator(CodeGenerator):
    """Every `{% for %}` iterates through the environment's counter."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counter = nodes.EnvironmentAttribute("counted", lineno=node.lineno)
        node.iter = nodes.Call(counter, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a step budget, a small range() and bounded repetition."""

    code_generator_class = _CountingCodeGenerator
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *, html: bool) -> None:
        super().__init__(
            autoescape=html, undefined=jinja2.ChainableUndefined, keep_trailing_newline=True
        )
        self.globals["range"] = _limited_range

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            _step()
            yield item

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise OverBudget("an exponent may be at most 64")
        if operator == "*":
            sized, times = (left, right) if isinstance(right, int) else (right, left)
            repeated = isinstance(sized, str | list | tuple) and isinstance(times, int)
            if repeated and len(sized) * times > MAX_OUTPUT:
                raise OverBudget(f"a repetition may make at most {MAX_OUTPUT:,} items")
        return super().call_binop(context, operator, left, right)


@functools.cache
def _environment(*, html: bool) -> LimitedSandbox:
    return LimitedSandbox(html=html)


@functools.lru_cache(maxsize=64)
def _compiled(text: str, *, html: bool) -> jinja2.Template:
    """The templates of an organization are used for message after message."""
    return _environment(html=html).from_string(text)


def render_part(text: str, context: dict[str, Any], *, html: bool) -> str:
    """One part, within the step budget and the output limit (in the calling process)."""
    template = _compiled(text, html=html)
    token = _budget.set(_Budget())
    try:
        chunks: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise OverBudget(f"the text would be longer than {MAX_OUTPUT:,} characters")
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _budget.reset(token)


def reason(error: BaseException) -> str:
    """What the organization is told when its template fails."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"line {error.lineno}: {error.message}"
    if isinstance(error, MemoryError):
        return "it needs more memory than a template may use"
    if isinstance(error, RecursionError):
        return "it calls itself too deeply"
    if isinstance(error, jinja2.TemplateError):
        return str(error)[:300]
    return f"{type(error).__name__}: {error}"[:300]
