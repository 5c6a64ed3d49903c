"""How a cause is written: after "because", "due to", "triggered by"; before "caused",
"led to"; a fault word ("bug", "misconfigured") names one by itself."""

CAUSE_BEFORE_EFFECT = (
    "because of", "because", "due to", "owing to", "caused by", "triggered by", "set off by", "sparked by",
    "as a result of", "resulted from", "result of", "stemmed from", "stemming from", "root cause was",
    "root cause is", "after a", "after an", "after the", "when a", "when an", "when the",
)
EFFECT_BEFORE_CAUSE = ("caused", "causing", "triggered", "led to", "resulted in", "set off", "sparked")
FAULT_WORDS = (
    "bug", "error", "mistake", "misconfiguration", "misconfigured", "incorrect", "incorrectly", "typo", "flaw",
    "overflow", "failure", "failed", "malfunction", "outage", "crash", "crashed", "overload", "overloaded",
)
