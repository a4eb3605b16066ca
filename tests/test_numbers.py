"""Numbers in words: hand-checked values in each language, the irregular words 1-99 of Bengali
and Hindi, and one distinct text for every number."""

import unicodedata

import pytest

from gatelab import numbers

# value -> (English, Bengali, Hindi), checked by hand against the languages' rules
CHECKED = {
    0: ("zero", "শূন্য", "शून्य"),
    1: ("one", "এক", "एक"),
    6: ("six", "ছয়", "छह"),
    9: ("nine", "নয়", "नौ"),
    11: ("eleven", "এগারো", "ग्यारह"),
    14: ("fourteen", "চৌদ্দ", "चौदह"),
    15: ("fifteen", "পনেরো", "पंद्रह"),
    19: ("nineteen", "উনিশ", "उन्नीस"),
    20: ("twenty", "বিশ", "बीस"),
    23: ("twenty-three", "তেইশ", "तेईस"),
    29: ("twenty-nine", "ঊনত্রিশ", "उनतीस"),
    35: ("thirty-five", "পঁয়ত্রিশ", "पैंतीस"),
    37: ("thirty-seven", "সাঁইত্রিশ", "सैंतीस"),
    39: ("thirty-nine", "ঊনচল্লিশ", "उनतालीस"),
    42: ("forty-two", "বিয়াল্লিশ", "बयालीस"),
    46: ("forty-six", "ছেচল্লিশ", "छियालीस"),
    49: ("forty-nine", "ঊনপঞ্চাশ", "उनचास"),
    53: ("fifty-three", "তিপ্পান্ন", "तिरेपन"),
    57: ("fifty-seven", "সাতান্ন", "सत्तावन"),
    59: ("fifty-nine", "ঊনষাট", "उनसठ"),
    67: ("sixty-seven", "সাতষট্টি", "सड़सठ"),
    69: ("sixty-nine", "ঊনসত্তর", "उनहत्तर"),
    72: ("seventy-two", "বাহাত্তর", "बहत्तर"),
    79: ("seventy-nine", "ঊনআশি", "उनासी"),
    82: ("eighty-two", "বিরাশি", "बयासी"),
    88: ("eighty-eight", "অষ্টআশি", "अट्ठासी"),
    89: ("eighty-nine", "ঊননব্বই", "नवासी"),
    90: ("ninety", "নব্বই", "नब्बे"),
    98: ("ninety-eight", "আটানব্বই", "अट्ठानवे"),
    99: ("ninety-nine", "নিরানব্বই", "निन्यानवे"),
    100: ("one hundred", "একশো", "एक सौ"),
    200: ("two hundred", "দুইশো", "दो सौ"),
    406: ("four hundred six", "চারশো ছয়", "चार सौ छह"),
    610: ("six hundred ten", "ছয়শো দশ", "छह सौ दस"),
    999: ("nine hundred ninety-nine", "নয়শো নিরানব্বই", "नौ सौ निन्यानवे"),
    1000: ("one thousand", "এক হাজার", "एक हज़ार"),
    1001: ("one thousand one", "এক হাজার এক", "एक हज़ार एक"),
    2500: ("two thousand five hundred", "দুই হাজার পাঁচশো", "दो हज़ार पाँच सौ"),
    10000: ("ten thousand", "দশ হাজার", "दस हज़ार"),
    23406: ("twenty-three thousand four hundred six", "তেইশ হাজার চারশো ছয়",
            "तेईस हज़ार चार सौ छह"),
    40010: ("forty thousand ten", "চল্লিশ হাজার দশ", "चालीस हज़ार दस"),
    57057: ("fifty-seven thousand fifty-seven", "সাতান্ন হাজার সাতান্ন", "सत्तावन हज़ार सत्तावन"),
    90900: ("ninety thousand nine hundred", "নব্বই হাজার নয়শো", "नब्बे हज़ार नौ सौ"),
    99999: ("ninety-nine thousand nine hundred ninety-nine", "নিরানব্বই হাজার নয়শো নিরানব্বই",
            "निन्यानवे हज़ार नौ सौ निन्यानवे"),
}


@pytest.mark.parametrize("n", sorted(CHECKED))
def test_hand_checked_values(n):
    for lang, expected in zip(("en", "bn", "hi"), CHECKED[n], strict=True):
        assert numbers.words(n, lang) == unicodedata.normalize("NFC", expected)


def test_every_tens_word_and_the_irregular_lists():
    tens_bn = "দশ বিশ ত্রিশ চল্লিশ পঞ্চাশ ষাট সত্তর আশি নব্বই".split()
    tens_hi = "दस बीस तीस चालीस पचास साठ सत्तर अस्सी नब्बे".split()
    for k in range(1, 10):
        assert numbers.words(10 * k, "bn") == unicodedata.normalize("NFC", tens_bn[k - 1])
        assert numbers.words(10 * k, "hi") == unicodedata.normalize("NFC", tens_hi[k - 1])
    for lang in ("bn", "hi"):
        below = numbers.BELOW_100[lang]
        assert len(below) == 100 and len(set(below)) == 100  # one distinct word per number
        assert all(" " not in w and w for w in below)


def test_one_less_than_tens_words_share_a_prefix():
    """29, 39, ..., 79 are "one less than" the next ten: ঊন- in Bengali (89 too), उन- in Hindi
    (89 is नवासी); 19 is উনিশ / उन्नीस."""
    for n in (29, 39, 49, 59, 69, 79, 89):
        assert numbers.words(n, "bn").startswith("ঊন")
    for n in (29, 39, 49, 59, 69, 79):
        assert numbers.words(n, "hi").startswith("उन")


@pytest.mark.parametrize("lang", numbers.LANGS)
def test_distinct_numbers_have_distinct_words_and_known_tokens(lang):
    seen = {numbers.words(n, lang) for n in range(numbers.MAX_VALUE + 1)}
    assert len(seen) == numbers.MAX_VALUE + 1
    vocabulary = set(numbers.vocabulary(lang))
    assert len(vocabulary) == len(numbers.vocabulary(lang))
    used = {t for n in range(0, numbers.MAX_VALUE + 1, 7) for t in numbers.tokens(n, lang)}
    used |= {t for n in range(1000) for t in numbers.tokens(n, lang)}
    assert used == vocabulary  # every token can occur, and none is outside the vocabulary


@pytest.mark.parametrize("lang", numbers.LANGS)
def test_words_are_nfc(lang):
    for w in numbers.vocabulary(lang):
        assert unicodedata.normalize("NFC", w) == w


def test_hindi_thousand_has_the_nukta_and_bengali_hundreds_are_one_word():
    assert numbers.THOUSAND["hi"] == "\u0939\u091c\u093c\u093e\u0930"  # ह ज ़ ा र
    assert numbers.tokens(406, "bn") == ["চারশো", unicodedata.normalize("NFC", "ছয়")]
    assert numbers.tokens(406, "hi") == ["चार", "सौ", "छह"]
    assert numbers.tokens(23406, "en") == ["twenty", "three", "thousand", "four", "hundred", "six"]


@pytest.mark.parametrize("bad", [-1, 100_000, 2.5, "7"])
def test_out_of_range_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="0 to 99,999"):
        numbers.words(bad, "en")


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="en, bn, hi"):
        numbers.words(5, "fr")
