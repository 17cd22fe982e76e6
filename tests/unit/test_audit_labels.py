"""Every action the code records has words on the audit page (a raw code there means a
reader cannot tell what happened)."""

from __future__ import annotations

import re
from pathlib import Path

from coop_platform import ROOT
from coop_platform.audit.labels import ACTIONS

LITERAL = re.compile(r"""record\(\s*"([a-z_.]+)\"""")
# Actions built at run time, spelled out from the lifecycles in PRODUCT.md and the issues.
BUILT = {
    "document": ("submit", "publish", "return", "reject", "withdraw", "revision_accepted",
                 "revision_returned", "revision_rejected"),
    "questionnaire": ("open", "closed", "accept", "return", "reject"),
}


def test_every_recorded_action_has_a_label():
    literals = set()
    for path in Path(ROOT, "coop_platform").rglob("*.py"):
        literals |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    assert "questionnaire.exported" in literals  # the scan reads the package
    built = {f"{prefix}.{action}" for prefix, actions in BUILT.items() for action in actions}
    missing = sorted(a for a in literals | built if a not in ACTIONS)
    assert missing == []
