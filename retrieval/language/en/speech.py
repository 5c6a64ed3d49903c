"""How reports say who makes a claim: the verbs of saying, the phrases that credit a
source, the nouns that name a source by its role when no name is given ("a medical
source", "local activists"), and the titles that stand between a name and its verb."""

# Verbs that attribute a claim to someone ("X said", "according to ... X reported").
SPEECH_VERBS = frozenset(
    """
    said says say told tells reported reports stated states announced announces added adds confirmed confirms
    claimed claims wrote writes quoted described accused accuses denied denies blamed blames warned warns
    condemned estimated estimates reaffirmed affirmed stressed explained noted insisted tweeted posted argued
    asserted declared revealed emphasised emphasized alleged alleges acknowledged admitted disclosed documented
    counted recorded published put gave
    """.split()
)
# "According to X", "as reported by X": the source follows the phrase.
ATTRIBUTION_PHRASES = ("according to", "as reported by", "as cited by", "quoting", "citing", "cited by", "reported by", "quoted by")
# Nouns that name a source by its role; with the words before them ("a medical source",
# "the city fire service", "local activists") they are the source as the report names it.
SOURCE_ROLES = frozenset(
    """
    source sources official officials activist activists witness witnesses resident residents
    monitor monitors spokesman spokeswoman spokesperson authorities authority police army military
    ministry agency media medics doctors doctor rescuers rescuer paramedics correspondent correspondents
    reporter reporters observatory group groups statement government service department office
    hospital commander commanders fighters militants network television tv radio channel newspaper
    daily press outlet outlets agencies reports
    """.split()
)
# Role nouns that name an organisation rather than a person: "a monitor said ... the Syrian
# Observatory for Human Rights said" is one source, named the second time.
ORGANISATION_ROLES = frozenset(
    """
    monitor monitors observatory group groups agency ministry authorities authority army military police media
    government service department office network television tv radio channel newspaper outlet press agencies
    """.split()
)
# Titles written between a name and its verb ("Samah Hadid, Deputy Director of ..., said").
TITLES = frozenset(
    """
    head director deputy spokesman spokeswoman spokesperson chief leader minister official commander
    researcher president chairman governor ambassador envoy founder secretary general coordinator
    colonel col general gen major lieutenant captain sheikh dr mr mrs ms member activist resident witness
    correspondent reporter journalist doctor
    """.split()
)
# Pronouns that stand for a speaker named before ("he told AFP").
SPEAKER_PRONOUNS = frozenset("he she they".split())


def is_speech_verb(word: str) -> bool:
    return word.lower() in SPEECH_VERBS


def is_source_role(word: str) -> bool:
    return word.lower() in SOURCE_ROLES
