"""Blind index: keyed hashes of personal data, so it can be found without being stored in clear.

Equal words give equal digests only under the same ``KREISWERK_INDEX_KEY``; a
database copy alone reveals neither the words nor (without the key) a way to test
guesses. Words are normalised first, so "Müller", "MUELLER" and "müller" meet.
"""

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from django.conf import settings

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def normalise(text: str) -> str:
    """Lower case, German umlauts spelt out, other accents dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """The searchable words of a name: parts of double names count on their own too."""
    found = []
    for word in _WORD.findall(normalise(text)):
        found.append(word)
        parts = re.split(r"['’-]", word)
        if len(parts) > 1:
            found.extend(parts)
    return list(dict.fromkeys(word for word in found if word))


@lru_cache(maxsize=4)
def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), b"kreiswerk blind index " + purpose.encode(), hashlib.sha256).digest()


def digest(value: str, *, purpose: str) -> str:
    """Hex HMAC-SHA-256 of the normalised value; ``purpose`` separates e.g. names from e-mails."""
    return hmac.new(_key(settings.KREISWERK_INDEX_KEY, purpose), normalise(value).encode(), hashlib.sha256).hexdigest()
