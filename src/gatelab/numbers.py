"""Numbers written in words, in English, Bengali and Hindi, for 0 to 99,999.

The words come from each language's rules, written out here (nothing is downloaded). They are
the source side of Chapter 6's sequence-to-sequence task (:class:`gatelab.tasks.NumberWords`):
words in, digits out.

Conventions (each language has more than one accepted form; these are the ones used here):

* **English** — American style without "and" (twenty-three thousand four hundred six; British
  English says "four hundred and six"), a hyphen inside 21–99 ("twenty-three"), "zero" for 0.
  English builds 21–99 from two words, so :func:`tokens` splits at the hyphen: "twenty", "three".
* **Bengali** — the standard colloquial (চলিত) forms. Every number 0–99 is its own word, and
  most cannot be derived from rules that a learner would guess (২৯ ঊনত্রিশ, ৫৭ সাতান্ন,
  ৯৯ নিরানব্বই). The "one less than" words 29–89 are written ঊন- with the long vowel (ঊনত্রিশ,
  ঊনচল্লিশ, …) as in Bangla Academy's dictionary; উনিশ (19) keeps its short vowel. Many
  writers, especially in West Bengal, write উনত্রিশ, উনচল্লিশ. Hundreds are one word made
  regularly from the unit: একশো, দুইশো, তিনশো, …, ছয়শো, নয়শো (the shorter দুশো, ছশো, নশো are as
  common in speech). Thousands: "তেইশ হাজার". Other spellings a reader will meet: চোদ্দো (14),
  কুড়ি (20), তিরিশ (30), অষ্টাশি (88).
* **Hindi** — the standard forms of school textbooks; 0–99 are again each their own word
  (२९ उनतीस, ५७ सत्तावन, ९९ निन्यानवे). छह for 6 (also written छः), पाँच with the
  chandrabindu, पंद्रह with the anusvara. Hundreds are two words ("चार सौ"), thousands
  "हज़ार" with the nukta, always. Other spellings a reader will meet: छः (6), पन्द्रह (15),
  चौवालीस (44), तिरपन (53), उन्यासी (79), हजार.

Both Indian languages count 1,00,000 as one লাখ / लाख, so the task stops at 99,999: below a lakh
the three languages group the digits the same way (thousands, hundreds, the last two digits).

Every word is in Unicode normal form NFC (য় and ড় as য + ় and ড + ়, ज़ as ज + ़), so that
text typed on different keyboards compares equal.
"""

from __future__ import annotations

import unicodedata

from .i18n import _

LANGS = ("en", "bn", "hi")
MAX_VALUE = 99_999

_EN_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

# 0-99, one word each, in order; ten to a line
_BN_0_99 = """
শূন্য এক দুই তিন চার পাঁচ ছয় সাত আট নয়
দশ এগারো বারো তেরো চৌদ্দ পনেরো ষোলো সতেরো আঠারো উনিশ
বিশ একুশ বাইশ তেইশ চব্বিশ পঁচিশ ছাব্বিশ সাতাশ আটাশ ঊনত্রিশ
ত্রিশ একত্রিশ বত্রিশ তেত্রিশ চৌত্রিশ পঁয়ত্রিশ ছত্রিশ সাঁইত্রিশ আটত্রিশ ঊনচল্লিশ
চল্লিশ একচল্লিশ বিয়াল্লিশ তেতাল্লিশ চুয়াল্লিশ পঁয়তাল্লিশ ছেচল্লিশ সাতচল্লিশ আটচল্লিশ ঊনপঞ্চাশ
পঞ্চাশ একান্ন বায়ান্ন তিপ্পান্ন চুয়ান্ন পঞ্চান্ন ছাপ্পান্ন সাতান্ন আটান্ন ঊনষাট
ষাট একষট্টি বাষট্টি তেষট্টি চৌষট্টি পঁয়ষট্টি ছেষট্টি সাতষট্টি আটষট্টি ঊনসত্তর
সত্তর একাত্তর বাহাত্তর তিয়াত্তর চুয়াত্তর পঁচাত্তর ছিয়াত্তর সাতাত্তর আটাত্তর ঊনআশি
আশি একাশি বিরাশি তিরাশি চুরাশি পঁচাশি ছিয়াশি সাতাশি অষ্টআশি ঊননব্বই
নব্বই একানব্বই বিরানব্বই তিরানব্বই চুরানব্বই পঁচানব্বই ছিয়ানব্বই সাতানব্বই আটানব্বই নিরানব্বই
"""

_HI_0_99 = """
शून्य एक दो तीन चार पाँच छह सात आठ नौ
दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस
बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस
तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस
चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास
पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ
साठ इकसठ बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर
सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उनासी
अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी
नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे
"""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


#: the word for each number 0-99 (index = number) in Bengali and Hindi
BELOW_100: dict[str, tuple[str, ...]] = {
    "bn": tuple(_nfc(w) for w in _BN_0_99.split()),
    "hi": tuple(_nfc(w) for w in _HI_0_99.split()),
}
HUNDRED = {"bn": _nfc("শো"), "hi": _nfc("सौ")}  # bn: joined to the unit (চারশো); hi: a word
THOUSAND = {"en": "thousand", "bn": _nfc("হাজার"), "hi": _nfc("हज़ार")}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(_("Numbers are written in {langs}; got {lang!r}.")
                         .format(langs=", ".join(LANGS), lang=lang))
    return lang


def _check(n: int) -> int:
    if not (isinstance(n, int) and 0 <= n <= MAX_VALUE):
        raise ValueError(_("Numbers in words go from 0 to {most:,}; got {n!r}.")
                         .format(most=MAX_VALUE, n=n))
    return n


def _below_100(n: int, lang: str) -> str:
    if lang != "en":
        return BELOW_100[lang][n]
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def _hundreds(h: int, lang: str) -> str:
    """The words for h hundred, 1 <= h <= 9."""
    if lang == "en":
        return f"{_EN_ONES[h]} hundred"
    if lang == "bn":
        return BELOW_100["bn"][h] + HUNDRED["bn"]  # একশো, দুইশো, ..., নয়শো: one word
    return f"{BELOW_100['hi'][h]} {HUNDRED['hi']}"  # एक सौ, दो सौ: two words


def _below_1000(n: int, lang: str) -> list[str]:
    """The words of 1 <= n <= 999, as a list of parts."""
    hundreds, rest = divmod(n, 100)
    parts = [_hundreds(hundreds, lang)] if hundreds else []
    return parts + ([_below_100(rest, lang)] if rest else [])


def words(n: int, lang: str) -> str:
    """``n`` (0 to 99,999) in words: words(23406, "en") = "twenty-three thousand four hundred six",
    "bn": "তেইশ হাজার চারশো ছয়", "hi": "तेईस हज़ार चार सौ छह"."""
    _check(n)
    check_lang(lang)
    if n == 0:
        return _below_100(0, lang)
    thousands, rest = divmod(n, 1000)
    parts = [_below_100(thousands, lang), THOUSAND[lang]] if thousands else []
    return " ".join(parts + (_below_1000(rest, lang) if rest else []))


def tokens(n: int, lang: str) -> list[str]:
    """The words of ``n`` as the task's source tokens: split at spaces, and in English also at
    the hyphen of 21-99 (English makes those from two words; Bengali and Hindi have one)."""
    return words(n, lang).replace("-", " ").split()


def vocabulary(lang: str) -> list[str]:
    """Every token that :func:`tokens` can produce in ``lang``, in a fixed order."""
    check_lang(lang)
    if lang == "en":
        return [*_EN_ONES, *_EN_TENS[2:], "hundred", THOUSAND["en"]]
    found = list(BELOW_100[lang]) + [THOUSAND[lang]]
    if lang == "bn":
        return found + [_hundreds(h, "bn") for h in range(1, 10)]
    return found + [HUNDRED["hi"]]
