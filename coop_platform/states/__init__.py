"""The States Parties registry and the ASP regional groups."""
