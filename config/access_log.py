"""gunicorn's access log as one JSON object per line, whatever the request carried.

The documented ``--access-logformat`` (docs/deployment.md, section 2) is a JSON template whose
values gunicorn fills in as they are: the path is ``PATH_INFO``, already percent-decoded, so
``/a%0Ab`` wrote a newline into the line (one request became two lines, the second forged by
the client), and ``%22`` or ``%00`` broke the JSON. ``JsonAccessLogger``
(``--logger-class config.access_log.JsonAccessLogger``) escapes every text value as a JSON
string body (quotes, backslashes, control characters, non-ASCII) before gunicorn formats the
line, so each request is exactly one parseable line.
"""

from __future__ import annotations

import json

from gunicorn.glogging import Logger, SafeAtoms


def json_escaped(value: str) -> str:
    """``value`` as the inside of a JSON string literal (ASCII only, no raw control byte)."""
    return json.dumps(value, ensure_ascii=True)[1:-1]


class JsonAtoms(SafeAtoms):
    """gunicorn's atoms (a missing one reads ``-``), each text value JSON-escaped; gunicorn's
    own wrapper only puts a backslash before ``"``, which leaves newlines and NULs raw."""

    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            self[key] = json_escaped(value) if isinstance(value, str) else value


class JsonAccessLogger(Logger):
    atoms_wrapper_class = JsonAtoms
