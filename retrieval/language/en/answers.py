"""How answers open: words a model writes before its claim that claim nothing ("Yes:",
"According to X, ...", "In short,")."""

OPENERS = ("yes", "no", "in short", "in summary", "overall", "however", "also", "meanwhile", "first", "second", "finally")
