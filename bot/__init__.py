"""The Telegram layer and the command line: a thin shell over ``retrieval``."""
