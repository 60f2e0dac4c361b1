"""fieldapp: an offline, encrypted notebook for social-science fieldwork.

This package's ``__init__`` imports nothing beyond the standard library, so that
``python3 -m fieldapp.bootstrap`` can run before any dependency is installed.
"""

__version__ = "0.1.0"
