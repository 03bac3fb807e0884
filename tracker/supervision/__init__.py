"""Deadlines watched: reminders (催办), notifications, to-do lists; later the dashboard."""
