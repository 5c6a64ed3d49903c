"""A question in another language is recognised, and an English one, however short or
full of Arabic place names, never is."""

from __future__ import annotations

import pytest

from retrieval.language.identify import non_english_language


@pytest.mark.parametrize(
    "question",
    [
        "How many were killed in Tall Tawil?",
        "SOHR toll for Qamishli?",
        "Manbij airstrike toll",
        "Jisr al-Shughur toll",
        "Who is Samah Hadid?",
        "and in Idlib?",
        "Aleppo?",
        "What caused the outage?",
        "How many children have been killed in western Aleppo since the offensive began?",
        "Ahrar al-Sham claims about Kafr Nabl",
        "source:SANA since:2016-10-01 how many died in Homs",
        "",
        "2016",
    ],
)
def test_english_questions_are_not_flagged(question):
    assert non_english_language(question) is None


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Combien de personnes ont été tuées à Alep ?", "French"),
        ("Qui a bombardé l'école de Hass ?", "French"),
        ("كم عدد القتلى في حلب؟", "Arabic"),
        ("من قصف المدرسة؟", "Arabic"),
        ("Wie viele Menschen wurden in Aleppo getötet?", "German"),
        ("Was ist in Idlib passiert?", "German"),
        ("¿Cuántas personas murieron en Alepo?", "Spanish"),
        ("Сколько человек погибло в Алеппо?", "Russian"),
        ("Что случилось в Идлибе?", "Russian"),
    ],
)
def test_questions_in_other_languages_are_named(question, language):
    assert non_english_language(question) == language
