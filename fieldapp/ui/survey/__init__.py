"""Surveys in the desktop app: instruments, responses and the form runner."""
