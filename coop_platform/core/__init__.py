"""Cross-domain pieces: clock, domain exceptions, authorization helpers, security headers."""
