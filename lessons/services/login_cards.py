"""One-time passwords on their way to the printable login cards, shown once.

Between the POST that makes the passwords and the page that shows them, they wait in the
teacher's session. Sessions live in the database (and so in its backups), so the cards are
sealed there with Fernet (AES with an HMAC, from the cryptography library) under a key
derived from SECRET_KEY, which is not in the database. Showing the cards removes them.
"""

import base64
import json
from collections.abc import MutableMapping

from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac

from .classes import LoginCard

SESSION_KEY = "login_cards"
_KEY_SALT = "lessons.login_cards.fernet"


def _fernet() -> Fernet:
    key = salted_hmac(_KEY_SALT, "login cards", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(cards: list[LoginCard]) -> str:
    plain = json.dumps([[c.full_name, c.username, c.password] for c in cards]).encode()
    return _fernet().encrypt(plain).decode("ascii")


def unseal(token: str) -> list[LoginCard] | None:
    """The cards, or None if the token was not sealed with this SECRET_KEY or was altered."""
    try:
        plain = _fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        return None
    return [LoginCard(*fields) for fields in json.loads(plain)]


def keep_for_showing(session: MutableMapping, *, class_id: int, cards: list[LoginCard]) -> None:
    """Keep the cards until the class's login-cards page shows them (adding to any not shown)."""
    waiting = dict(session.get(SESSION_KEY, {}))
    earlier = unseal(waiting.get(str(class_id), "")) or []
    waiting[str(class_id)] = seal(earlier + cards)
    session[SESSION_KEY] = waiting


def take_for_showing(session: MutableMapping, *, class_id: int) -> list[LoginCard]:
    """The class's waiting cards, removed from the session: they are shown once."""
    waiting = dict(session.get(SESSION_KEY, {}))
    token = waiting.pop(str(class_id), None)
    if token is None:
        return []
    if waiting:
        session[SESSION_KEY] = waiting
    else:
        session.pop(SESSION_KEY, None)
    return unseal(token) or []
