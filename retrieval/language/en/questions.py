"""The words of asking: what a question's opening words ask for.

Each table maps a phrase that opens or shapes a question to the kind of answer it wants
(``retrieval.answer.question.Kind``). Phrases are matched on word boundaries, longest
first; a question may want several kinds ("how many and when").
"""

# Phrases that ask for a count or an amount of something.
COUNT = ("how many", "number of", "how much", "what toll", "what tolls", "death toll", "death tolls", "the toll", "the tolls", "casualty figure",
         "casualty figures", "what figure", "what number", "how large", "how big", "count")
MONEY = ("how much money", "cost", "costs", "fine", "fined", "paid", "pay", "compensation", "refund", "worth", "dollars", "loss", "lost")
DURATION = ("how long", "for how long", "how many hours", "how many minutes", "how many days", "how many seconds",
            "how many weeks", "how many months", "how many years", "duration")
DATE = ("when", "what day", "what date", "which day", "which date", "what year", "which year", "what month", "which month", "on what day")
TIME_OF_DAY = ("what time", "at what time", "what hour", "time of day")
AGE = ("how old", "what age", "aged", "age of")
SHARE = ("what share", "what percentage", "what proportion", "what fraction", "what percent", "how much of")
REASON = ("why", "what caused", "what triggered", "what led to", "cause of", "reason for", "root cause", "because of what",
          "what started", "what set off", "what sparked", "how did it start", "what made")
PLACE = ("where", "in which", "which town", "which city", "which village", "which area", "which district",
         "which neighbourhood", "which neighborhood", "which province", "which country", "which region", "what town",
         "what city", "what village", "what area", "what region")
PERSON = ("who", "whom", "whose", "which person", "name of")
SOURCE = ("according to whom", "who said", "who reported", "who gave", "who claimed", "who confirmed",
          "who announced", "what source", "which source", "which outlet", "who is the source", "what is the source",
          "source of")
# "which X", "what X": a name of X is wanted.
WHICH = ("which", "what")
# Phrases that ask how a story developed over time.
TIMELINE = ("timeline", "chronology", "sequence of events", "day by day", "unfold", "unfolded", "unfolding")
# "What happened ... between 3 and 6 May": a question over a span of time asks for a timeline.
SPAN_WORDS = ("between", "from", "since", "during", "over the", "in the days")
# Phrases that ask for each source's figure.
FIGURES = ("how many", "death toll", "death tolls", "toll", "tolls", "casualties", "casualty", "figures", "number of", "how much", "how long")
# Opening words of a question that asks for yes or no.
YES_NO = ("did", "was", "were", "is", "are", "has", "have", "had", "does", "do", "can", "could")
# Follow-up questions lean on the one before.
FOLLOW_UP_OPENERS = ("and", "also", "what about", "how about")
# Words that shape a question without saying what it is about (they are left out of its
# terms and anchors).
ASKING_WORDS = frozenset(
    """
    how many much what which who whom whose when where why did does do was were is are be been report reports
    reported say said says according number total tell told happen happened cause caused give gave given name
    named figure figures toll casualty casualties source sources outlet claim claimed claims kind type
    """.split()
)
# Nouns that make "what was the X" ask for a figure ("the peak", "the total").
MEASURE_WORDS = frozenset("peak total maximum minimum average rate size amount number count level speed volume value".split())
# Words that ask who claimed responsibility: the answer must say so, not only name a group.
RESPONSIBILITY = ("responsibility", "responsible", "claimed the attack", "claimed the bombing", "claimed responsibility")
# Units of time a duration is given in.
TIME_UNITS = frozenset(
    "millisecond milliseconds second seconds minute minutes hour hours day days week weeks month months year years".split()
)
# Words and signs that give a share.
SHARE_UNITS = frozenset("% percent per cent percentage".split())
# Words that name money.
CURRENCY_WORDS = frozenset("dollars dollar euros euro pounds pound usd eur gbp $ € £ million billion".split())
def _with_plurals(words: str, irregular: str = "") -> frozenset[str]:
    """Nouns and their plurals ("the names of the bombers" asks about bombers as much as
    "the name of the bomber" asks about a bomber)."""
    nouns = set(words.split())
    for noun in list(nouns):
        if noun.endswith("y") and noun[-2:-1] not in "aeiou":
            nouns.add(noun[:-1] + "ies")
        elif noun.endswith(("s", "sh", "ch", "x")):
            nouns.add(noun + "es")
        else:
            nouns.add(noun + "s")
    return frozenset(nouns | set(irregular.split()))


# Nouns a "which X" or "the name of the X" question may ask about, by what names them:
# a person, an organisation, or a place (any other noun asks for any name).
PERSON_NOUNS = _with_plurals(
    """
    person man woman boy girl child bomber attacker gunman driver pilot victim groom bride minister ambassador envoy
    diplomat official spokesman spokeswoman spokesperson journalist reporter activist doctor nurse commander leader
    director chief president governor engineer employee researcher analyst soldier officer father mother son daughter
    """,
    "men women children people gunmen spokesmen",
)
ORGANISATION_NOUNS = _with_plurals(
    """
    group organisation organization company firm vendor provider agency ministry militia faction party
    movement outlet newspaper network channel monitor charity ngo regulator brigade coalition army force
    government team customer service
    """
)
PLACE_NOUNS = _with_plurals(
    """
    village town city area district neighbourhood neighborhood quarter suburb province region country state street
    road square roundabout bridge building hospital school airport base mosque church market camp checkpoint prison
    station facility datacenter zone
    """
)
