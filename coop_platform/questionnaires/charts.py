"""Charts of a closed question's answer counts, drawn on the server as SVG by pygal.

A chart is an image (a data: URI, which the Content-Security-Policy allows for images and
which runs no script); each bar carries its option's name and count as text, so the chart
reads without colour, and the page gives the same counts as a table for screen readers.
"""

from __future__ import annotations

import base64
import functools
import sys

import pygal
from pygal.style import Style

# pygal adds an import hook for its map plugins (unused here) that lacks find_spec, so
# Python 3.11 warns at every import that reaches it (an error under the suite's warnings
# policy); Python 3.12 ignores it altogether. Taken out, imports are as without pygal.
sys.meta_path[:] = [finder for finder in sys.meta_path
                    if type(finder).__name__ != "PluginImportFixer"]

# Light colours of Okabe and Ito's palette, told apart with the common colour-vision
# deficiencies and dark text readable on each; the printed labels carry the meaning anyway.
_STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1f2328",
    foreground_strong="#1f2328", foreground_subtle="#57606a",
    colors=("#56b4e9", "#e69f00", "#7fd1b9", "#e6a6c9", "#f0e442", "#ff9f66", "#b3b3b3",
            "#a6cee3"),
    font_family="'Noto Sans', 'DejaVu Sans', Arial, sans-serif",
    title_font_size=18, label_font_size=14, major_label_font_size=14, value_font_size=14,
    value_label_font_size=14, legend_font_size=14,
)
_BAR = 26  # px per bar, enough for a 14 px label inside or beside it


def _config(title: str, bars: int, highest: int) -> dict:
    step = max(1, -(-highest // 8))  # at most about eight whole numbers on the count axis
    return {
        "title": title, "style": _STYLE, "width": 800, "height": 130 + _BAR * max(bars, 1),
        "range": (0, max(highest, 1)), "y_labels": list(range(0, max(highest, 1) + 1, step)),
        # No script: pygal would otherwise load its tooltips from another site.
        "js": [], "disable_xml_declaration": True, "show_legend": False,
        "print_labels": True, "print_values": False, "print_zeroes": True,
        "truncate_label": -1, "margin": 8,
    }


def _without_script(root):
    """pygal writes its configuration into a script element even without its tooltips'
    script; an image never runs it, and the page is smaller without it."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _data_uri(chart: pygal.graph.graph.Graph) -> str:
    chart.add_xml_filter(_without_script)
    svg = chart.render(is_unicode=True).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _bar(label: str, count: int) -> dict:
    # The label printed on the bar says what it counts; a zero is still said.
    return {"value": count, "label": f"{label}: {count}"}


def counts(title: str, options: list[tuple[str, int]]) -> str:
    """One bar per option: how many States chose it."""
    return _counts(title, tuple(options))


def by_group(title: str, groups: list[str], options: list[tuple[str, list[int]]]) -> str:
    """For each regional group, one bar per option: `options` gives each option's label and
    its count in every group, in the order of `groups`."""
    return _by_group(title, tuple(groups), tuple((label, tuple(n)) for label, n in options))


# Drawing takes pygal about 10 ms a chart; the same counts in the same words (readers of one
# question between two acceptances) are the same picture, kept here.
@functools.lru_cache(maxsize=256)
def _counts(title: str, options: tuple[tuple[str, int], ...]) -> str:
    # pygal draws horizontal bars from the bottom up: reversed, the first option is on top.
    chart = pygal.HorizontalBar(**_config(title, len(options),
                                          max((n for _, n in options), default=0)))
    chart.x_labels = [label for label, _ in reversed(options)]
    chart.add("", [_bar(label, count) for label, count in reversed(options)])
    return _data_uri(chart)


@functools.lru_cache(maxsize=256)
def _by_group(title: str, groups: tuple[str, ...],
              options: tuple[tuple[str, tuple[int, ...]], ...]) -> str:
    highest = max((n for _, per_group in options for n in per_group), default=0)
    chart = pygal.HorizontalBar(**_config(title, len(groups) * len(options), highest))
    chart.x_labels = list(reversed(groups))
    for label, per_group in options:
        chart.add(label, [_bar(label, count) for count in reversed(per_group)])
    return _data_uri(chart)
