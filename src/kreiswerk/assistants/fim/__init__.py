"""FIM import: XDatenfelder 2.0 and 3.0 messages become a draft assistant definition.

``reader`` turns the XML (and genericode code lists) into a small neutral model,
``builder`` turns that model into a ``kreiswerk-assistant/1`` definition and an
import report that names everything a form builder has to look at.
"""

from .builder import ImportReport, build_definition
from .reader import MAX_BYTES, FimError, MissingCodelistsError, read_codelist, read_message

__all__ = [
    "MAX_BYTES",
    "FimError",
    "ImportReport",
    "MissingCodelistsError",
    "build_definition",
    "read_codelist",
    "read_message",
]
