"""How a cause is written: after "because", "due to", "triggered by"; before "caused",
"led to"; a fault word ("bug", "misconfigured") names one by itself."""

CAUSE_BEFORE_EFFECT = (
    "because of", "because", "due to", "owing to", "caused by", "triggered by", "set off by", "sparked by",
    "as a result of", "resulted from", "result of", "stemmed from", "stemming from", "root cause was",
    "root cause is", "after a", "after an", "after the", "when a", "when an", "when the",
)
EFFECT_BEFORE_CAUSE = ("caused", "causing", "triggered", "led to", "resulted in", "set off", "sparked")
# Words that name a fault, a cause by themselves ("a bug in the load balancer"). An
# outage, a crash or a failure is what a why-question asks about more often than its
# answer: those are causes only where a sentence says so ("caused by a disk failure").
FAULT_WORDS = (
    "bug", "error", "mistake", "misconfiguration", "misconfigured", "incorrect", "incorrectly", "typo", "flaw",
    "overflow", "malfunction",
)
