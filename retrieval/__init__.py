"""The engine: documents in, cited answers out. Works without Telegram.

Import what you need from the submodules; nothing here runs on import.
"""
