"""The home page: what needs the person's attention, then what is new (views.py)."""
