"""E-mail: the outbox (models.py) and what writes and sends it (outbox.py). A low layer: any
domain may queue a message in its own transaction."""
