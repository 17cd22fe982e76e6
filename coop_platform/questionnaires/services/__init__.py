"""Questionnaire services: authoring, answering, review, reading."""
