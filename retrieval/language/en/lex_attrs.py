"""How English writes quantities: number words, vague counts, and the qualifiers that
bound a figure ("at least 22", "up to 48")."""

NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "thousand", "million", "billion",
)
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Quantities without a number: rough counts are figures a report gives ("dozens of
# injuries"); the others say there were some, not how many.
ROUGH_COUNTS = ("dozens", "hundreds", "thousands", "scores", "a dozen")
VAGUE_COUNTS = (*ROUGH_COUNTS, "several", "many", "a few")
# What a report puts before a figure to bound it: part of the figure ("up to 48" is not 48).
FIGURE_QUALIFIERS = (
    "at least", "up to", "more than", "over", "nearly", "almost", "about", "around", "some",
    "as many as", "fewer than", "less than", "approximately", "roughly", "an estimated", "at most",
)
ORDINAL_WORDS = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
)

_NUMBER_WORDS = frozenset(NUMBER_WORDS)


def like_num(word: str) -> bool:
    """Whether a word is a number as written: "17", "1,200", "3.5", "twenty", "forty-two"."""
    text = word.strip().lower().replace(",", "").replace(".", "", 1)
    if text.isdigit():
        return True
    return all(part in _NUMBER_WORDS for part in text.split("-")) if text else False
