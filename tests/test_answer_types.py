"""The extractive composer's reading of a question: what kind of answer it wants, which
spans offer one, and what page furniture a quote skips. Pure functions, no index."""

from __future__ import annotations

import pytest

from retrieval.answer.attribution import Attribution
from retrieval.answer.extractive import dateline, spelled_out, states_quantity
from retrieval.answer.question import (
    anchor_terms,
    counted_noun,
    counted_terms,
    focus_terms,
    name_near_focus,
    names_in,
    offers,
    wanted,
)
from retrieval.answer.vocabulary import Vocabulary
from retrieval.index.spans import spans_in
from retrieval.index.words import count_words
from retrieval.language import tokenize

attribute = Attribution().attribute
sources_at = Attribution().sources_at

# A small collection about one country: "Syria" is in every report, and its places are
# written after "in" and "near".
COLLECTION = [
    "Shelling in Aleppo killed four people on Monday, activists in Syria said.",
    "A car bomb near Azaz wounded nine, the monitor in Syria reported.",
    "Rebels in Idlib said an air strike in Syria hit a market in Aleppo.",
    "Syrians fleeing the fighting in Syria reached a camp near Azaz.",
    "Two mortar rounds fell in Homs as talks on Syria stalled.",
    "A clinic in Hama was damaged, aid workers in Syria said.",
    "Flooding in Raqqa displaced families across Syria this week.",
    "Power cuts in Latakia left the port idle, officials in Syria said.",
    "A convoy near Deraa was stopped at a checkpoint in southern Syria.",
]


def collection_vocabulary(texts: list[str]) -> Vocabulary:
    """What the answer step knows about words, from the word counts of these texts."""
    counts: dict[str, list[int]] = {}
    for text in texts:
        for word, found in count_words(text).items():
            counts[word] = [a + b for a, b in zip(counts.get(word, [0, 0, 0, 0]), found)]
    stems = [set(tokenize([t])[0]) for t in texts]

    def share(wanted: set[str]) -> dict[str, float]:
        return {s: sum(s in found for found in stems) / len(stems) for s in wanted}

    return Vocabulary(lambda words: {w: tuple(counts[w]) for w in words if w in counts}, share, lambda: 10_000)


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many children were killed in western Aleppo?", {"count"}),
        ("How long was the network partition on October 21, 2018?", {"duration"}),
        ("What is the longest time some customers were locked out?", {"duration"}),
        ("When did the car bomb at the Arzuna bridge go off?", {"date"}),
        ("At what time did the S3 incident begin?", {"clock_time"}),
        ("Which version of runc contained the bug?", {"version"}),
        ("What version control system hosted the WebKit repository?", set()),
        ("Which group claimed responsibility for the car bombing in Barzeh?", {"name", "responsibility"}),
        ("How old were the pupils who died in the twin blasts?", {"age"}),
        ("Which regulator fined Knight Capital, and how much?", {"name", "money"}),
        ("What was the total dollar amount Twilio refunded?", {"money"}),
        ("What share of customers had their accounts frozen?", {"count"}),
        ("Why did all of Facebook's apps vanish from the internet?", {"reason"}),
        # A who-question that mentions a figure asks for a name, not the figure.
        ("Who gave the death toll of 213 for the gas attack?", {"name"}),
        ("What did the UN Security Council decide about Aleppo?", set()),
    ],
)
def test_the_kind_of_answer_a_question_wants(question, kinds):
    want = wanted(question)
    kinds_found = ("count", "money", "date", "duration", "age", "name", "reason", "clock_time", "version", "responsibility")
    found = {k for k in kinds_found if getattr(want, k)}
    assert found == kinds


def test_a_span_that_restates_the_question_offers_no_answer():
    question = "How long was the network partition that triggered GitHub's MySQL failover on October 21, 2018?"
    want = wanted(question)
    restating = "This brief loss of connectivity triggered an automated MySQL master failover."
    answering = "A 43-second network partition occurred on October 21, 2018, at 22:52 UTC."
    assert not offers(restating, question, want)
    assert offers(answering, question, want)
    # The question's own date is no answer to "when".
    when = "When did GitHub's failover happen on October 21, 2018?"
    assert not offers("GitHub failed over on October 21, 2018.", when, wanted(when))
    assert offers("The failover began at 22:52 UTC.", when, wanted(when))


def test_names_skip_calendar_words_peoples_and_sentence_openers():
    describes = collection_vocabulary(COLLECTION).describes
    assert names_in("Media reports said Syrians in Aleppo fled on Monday", describes) == ["Aleppo"]
    assert "Yaacoub al-Ammar" in names_in("the minister Yaacoub al-Ammar was killed")


def test_a_which_question_prefers_the_name_written_next_to_its_noun():
    question = "Which opposition minister was killed in the car bombing of a police station in Inkhil?"
    focus = focus_terms(question)
    assert focus == {"opposition", "minister"}
    assert name_near_focus("local administration minister Yaacoub al-Ammar were killed", question, focus)
    assert not name_near_focus("The attack targeted a ceremony for a police station in Inkhil", question, focus)
    assert focus_terms("What was the name of the groom at the wedding?") == {"groom"}


def test_counts_of_people_follow_what_happened_to_them():
    question = "How many people were wounded when a mortar round struck the Opera House?"
    terms = counted_terms(question, counted_noun(question))
    assert states_quantity("Two people were killed and five others wounded by a mortar round", terms)
    # A death toll does not say how many were wounded.
    assert not states_quantity("killing at least 18 civilians gathered at the wells", terms)
    children = "How many children were killed in western Aleppo?"
    terms = counted_terms(children, counted_noun(children))
    assert states_quantity("Up to 48 people including 17 children have been killed", terms)
    assert not states_quantity("Up to 48 people have been killed", terms)


def test_anchors_are_the_names_and_dates_that_pin_an_incident():
    anchors = anchor_terms("How many patients died when bombs wrecked the Qatari-run health centre in Aleppo's east?")
    assert anchors == {"qatari", "aleppo"}
    assert dateline("2016-02-15") == "15 February 2016"
    assert dateline(None) == dateline("undated") == ""
    # A report's "2016-07-24" and "January 15th" pin "July 24" and "January 15".
    assert set(spelled_out("an outage on 2016-07-24 and another on January 15th, 1990").split()) == {
        "24", "July", "2016", "15",
    }
    assert set(spelled_out("16-11-2014 title: ... Sunday 16 Nov said U.N. spokesman").split()) == {
        "16", "November", "2014", "UN",
    }


@pytest.mark.parametrize(
    "furniture",
    [
        "Date of publication 3 October 2016 ",
        "Tuesday 26 April 2016 21:41 ",
        "Fri Apr 8 2016 ",
        "Tags Qatar QRCS Syria Aleppo MSF hospitals airstrikes ",
    ],
)
def test_quotes_start_after_datelines_and_tag_lists(furniture):
    lead = "An attack on a clinic managed by the Qatar Red Crescent Society killed two patients."
    text = furniture + lead
    spans = spans_in(text)
    assert [s.text for s in spans] == [lead]
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_a_dateline_is_kept_when_the_date_is_asked():
    text = "Date of publication 3 October 2016 An attack on a clinic killed two patients."
    assert spans_in(text, keep_dateline=True)[0].text == text


def test_claim_verbs_name_who_makes_the_claim_but_weekdays_do_not():
    text = 'Hashem Darwish head of the health program described the attack as a "war crime".'
    assert attribute(text, 0, len(text)) == "Hashem Darwish"
    day = "At least 19 civilians were killed the monitor said Wednesday. An air raid hit a village."
    assert sources_at(day, 0, 60) == []


def test_a_question_about_a_person_wants_a_full_name_not_a_place():
    question = "What was the name of the suicide bomber who drove the truck bomb into Qamishli?"
    want = wanted(question)
    assert not offers("the truck bomb exploded near security headquarters in Qamishli Hasaka", question, want)
    assert offers("the bomber Abu Omar al-Shami drove the truck", question, want)


def test_identifiers_count_as_names_and_dates_do_not_count():
    assert names_in("the shard4 database and innodb_flush_log_at_trx_commit") == ["shard4", "innodb_flush_log_at_trx_commit"]
    question = "What share of Twilio's customers had their accounts frozen?"
    want = wanted(question)
    assert not offers("On July 18, 2013, Twilio had a billing incident.", question, want)
    assert offers("account suspensions for 1.4% of Twilio's customers", question, want)


def test_a_figure_asked_in_a_unit_must_be_given_in_it():
    question = "What was the peak bandwidth in Gbps of the DDoS attack that took GitHub down?"
    want = wanted(question)
    assert not offers("the service was largely unreachable for approximately 3 hours", question, want)
    assert offers("the attack peaked at 400 Gbps", question, want)


def test_a_question_for_an_organisation_needs_a_capitalised_name():
    question = "What hardware vendor made the disk array that failed on GoCardless's primary Postgres node?"
    want = wanted(question)
    assert want.strict
    assert not offers("a hardware failure on the primary database node, specifically a disk array failure", question, want, strict_only=True)
    assert offers("the array, made by Dell EMC, failed", question, want, strict_only=True)


def test_a_news_credit_is_no_part_of_a_quote():
    text = "Published July 27 2016 (TRT World and Agencies) A bomb blast hit the city of Qamishli."
    assert [s.text for s in spans_in(text)] == ["A bomb blast hit the city of Qamishli."]


def test_near_misses_need_the_detail_asked_for():
    claim = "Which group claimed responsibility for the February 2016 car bombing in Masaken Barzeh?"
    want = wanted(claim)
    assert not offers("The car bomb killed eight according to Al-Manar.", claim, want, strict_only=True)
    assert offers("Islamic State claimed responsibility for the attack.", claim, want, strict_only=True)
    at = "At what time of day did the car bomb go off in Tal Abyad?"
    assert not offers("The car bomb went off on Wednesday.", at, wanted(at), strict_only=True)
    assert offers("The car bomb went off at 10:30 in the morning.", at, wanted(at), strict_only=True)
    name_of = "What is the name of the hospital in Rastan where the wounded were taken?"
    assert not offers("Three children were killed in Rastan said Yaarab Dali.", name_of, wanted(name_of), strict_only=True)
    assert offers("The wounded were taken to the al-Walid hospital.", name_of, wanted(name_of), strict_only=True)


def test_numeric_datelines_and_weekdays_are_furniture():
    assert [s.text for s in spans_in("23-02-2015 Twin blasts hit a checkpoint near Damascus.")] == [
        "Twin blasts hit a checkpoint near Damascus."
    ]
    text = "Four were killed according to Thursday state news agency SANA."
    assert attribute(text, 0, 16) == "SANA"


def test_a_headline_and_an_acronym_of_the_question_name_nothing_new():
    question = "On which street in Damascus's al-Tadamun neighbourhood did the suicide car bomb go off?"
    assert not offers("Damascus Car bomb Kills Four .", question, wanted(question))
    assert offers("The car bomb went off on Nisreen Street in al-Tadamun.", question, wanted(question))
    question = "Which vendor supplied the Order Management System that collapsed at Zerodha?"
    assert not offers("Zerodha had technical issues with its Order Management System (OMS).", question, wanted(question))
    assert offers("The OMS, supplied by Refinitiv, rejected orders.", question, wanted(question))


def test_a_why_answer_gives_a_cause_the_question_does_not_already_say():
    question = "Why did the power disruption at GitHub's primary datacenter on January 28, 2016 happen?"
    want = wanted(question)
    assert want.strict
    # Restating the event with "triggered by", or saying what it caused, is no cause.
    assert not offers("The incident was triggered by a brief power disruption at GitHub's primary datacenter.", question, want)
    assert not offers("The power disruption at the datacenter caused over 25% of servers to reboot.", question, want)
    assert offers("The disruption happened because a utility transformer overheated during routine maintenance.", question, want)
    question = "What made Google take part of its London cloud zone offline in July 2022?"
    assert offers("A simultaneous failure of multiple redundant cooling systems took the zone down.", question, wanted(question))


def test_a_titled_speaker_and_the_person_behind_he_told_afp():
    text = (
        "Ole Solvang deputy emergencies director at the New York-based group says IS "
        '"mined virtually everything including quite literally the kitchen sink before they left."'
    )
    assert attribute(text, text.index("IS"), len(text)) == "Ole Solvang"
    text = (
        "Rami Abdel Rahman head of the Observatory said the town was encircled. "
        '"The Islamic State has entered its final phase" he told AFP.'
    )
    quote = text.index('"The')
    assert attribute(text, quote, len(text)) == "Rami Abdel Rahman"
    assert sources_at(text, quote, len(text)) == ["Rami Abdel Rahman"]
    # With no one named before, the agency that heard it is all the report says.
    text = '"The Islamic State has entered its final phase" he told AFP.'
    assert attribute(text, 0, len(text)) == "AFP"


def test_things_are_counted_by_a_number_written_before_them_and_years_count_nothing():
    question = "How many cars were damaged by the September 2013 car bomb in Sumaria?"
    terms = counted_terms(question, counted_noun(question))
    assert states_quantity("The blast damaged five cars parked nearby", terms)
    assert not states_quantity("Four people were killed and six others injured in a car bomb attack", terms)
    assert not states_quantity("Since March 2011 a series of car bombs have targeted Damascus", terms)
    prisoners = "How many of the prisoners held at the security complex were killed?"
    assert counted_noun(prisoners) == counted_noun("How many prisoners were killed?")


def test_a_name_ending_in_the_asked_noun_answers_which_noun():
    question = "What was the name of the mosque in Ariha, Idlib province, where a blast killed 25 Nusra Front members?"
    want = wanted(question)
    describes = collection_vocabulary(COLLECTION).describes  # "Syria" is in every report: it names nothing
    assert offers("the Observatory said the explosion in Salem Mosque in Ariha also killed a senior member", question, want, describes=describes)
    assert not offers("An explosion at a mosque in Syrias Idlib province killed at least 25 members", question, want, describes=describes)


def test_an_identifier_named_after_the_asked_noun_answers_which_noun():
    question = "Which Postgres shard hit transaction ID wraparound in the Mandrill outage of February 2019?"
    assert name_near_focus(
        "The incident was triggered when a PostgreSQL database, specifically shard4, entered a safety shutdown mode.",
        question,
        focus_terms(question),
    )
    assert not name_near_focus("The root cause was a transaction ID (XID) wraparound in PostgreSQL.", question, focus_terms(question))


def test_a_share_is_given_as_a_percentage_or_a_fraction():
    question = "What share of the clients who traded that day were affected when Zerodha's leased line failed?"
    want = wanted(question)
    assert not offers("On April 12th, 2018, around 12:12 PM, Zerodha lost a leased line to the exchange.", question, want)
    assert offers("Approximately 1.5% of clients who traded that day were affected.", question, want)
    assert offers("About a third of clients could not place orders.", question, want)


def test_an_exact_time_wants_a_clock_time_and_a_faction_a_name():
    question = "What exact time (UTC) did the Firefox add-on signing certificate expire in May 2019?"
    assert not offers("Around May 4th, 2019, most Firefox add-ons stopped functioning.", question, wanted(question))
    assert offers("The certificate expired at 00:09 UTC on May 4.", question, wanted(question))
    assert wanted("Which faction fired the rocket that exploded in Damascus?").proper_name


def test_a_surname_source_is_the_full_name_given_before():
    text = (
        "Speaking to Asharq Al-Awsat PYD spokesman Nawaf Khalil said the reasons are unknown. "
        "This attack is meant to be against the entire Kurdish region on the pretext of fighting the PKK Khalil said. "
        "Khalil reaffirmed the PYDs desire to topple the regime."
    )
    second = text.index("This attack")
    assert attribute(text, second, text.index(" Khalil said.")) == "Nawaf Khalil"
    third = text.index("Khalil reaffirmed")
    assert attribute(text, third, len(text)) == "Nawaf Khalil"


def test_a_post_shared_by_someone_known_as_a_name_and_he_later_added():
    text = (
        "The grim video was shared on Twitter by a Kurd supporter activist known as Dr Partizan. "
        "He later added detail about the number of ISIS fighters killed."
    )
    assert attribute(text, text.index("He later"), len(text)) == "Dr Partizan"


def test_a_title_abbreviation_is_no_sentence_end_and_a_name_starts_after_one():
    text = "Syrian state media reported on Monday. US Army Col. John Dorrian wrote on Twitter that the coalition did not."
    assert attribute(text, text.index("John"), len(text)) == "US Army Col. John Dorrian"


def test_a_number_is_new_unless_the_question_has_it_as_a_whole_word():
    question = "How many duplicate emails did many 2013 registrants receive?"
    assert offers("A large number of registrants from 2013 received more than 20 copies of this email.", question, wanted(question))
    assert not offers("Registrants from 2013 received the email.", question, wanted(question))


def test_spans_running_other_headlines_together_are_furniture():
    from retrieval.index.spans import has_furniture

    assert has_furniture("in and near Aleppo civil defence AFP Friday 3 Jun 2016 UN says Syria airdrops not imminent")
    assert has_furniture("SEND httpsabahdai.ly912r3U DHA Photo A twin bombing struck a crowd")
    assert not has_furniture("A twin bombing struck a crowd in a predominantly Kurdish town on 27 July 2016, AFP said.")
