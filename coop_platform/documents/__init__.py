"""Documents and their versions: encrypted at rest, shared per State, moderated."""
