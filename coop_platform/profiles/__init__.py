"""State profiles: one page per State gathering its answers, documents and focal points."""
