"""The main window's views. Each takes the AppContext and has one ``retranslate_ui()``."""
