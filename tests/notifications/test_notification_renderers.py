"""What no sandbox counting can see is still bounded: a renderer past its processor time or
memory is stopped, the part is named, and the next message renders as usual."""

from __future__ import annotations

import pytest

from orderly.notifications.errors import InvalidTemplate
from orderly.notifications.rendering import SAMPLE_ORDER, TemplateSource, render


async def refusal(body_text: str) -> InvalidTemplate:
    with pytest.raises(InvalidTemplate) as refused:
        await render(
            TemplateSource("Order {{ order.number }}", body_text, ""), {"order": SAMPLE_ORDER}
        )
    return refused.value


class TestRenderersAreBounded:
    @pytest.mark.slow  # spends the renderer's whole processor time
    async def test_a_template_past_its_processor_time_is_stopped(self) -> None:
        error = await refusal("{{ ((((9 ** 64) ** 64) ** 64) ** 64) ** 2 > 1 }}")
        assert error.field == "body_text"
        assert "processor time" in error.detail

    async def test_a_template_past_its_memory_is_refused(self) -> None:
        error = await refusal("{{ 'x'|center(2000000000) }}")
        assert error.field == "body_text"
        assert "memory" in error.detail

    @pytest.mark.slow  # spends the renderer's whole processor time
    async def test_the_next_message_renders_after_a_refusal(self) -> None:
        await refusal("{{ ((((9 ** 64) ** 64) ** 64) ** 64) ** 2 > 1 }}")
        rendered = await render(
            TemplateSource(
                "Order {{ order.number }}", "{{ order.total }}", "<b>{{ order.number }}</b>"
            ),
            {"order": SAMPLE_ORDER},
        )
        assert (rendered.subject, rendered.body_text) == ("Order SO-1001", "56.88")
        assert rendered.body_html == "<b>SO-1001</b>"
