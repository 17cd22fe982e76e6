"""Moderation by the ASP Secretariat: the queue, notifications and the dashboard."""
