"""Secretariat administration pages: views over other domains' services; owns no models."""
