"""One-time passwords on their way to the printable login cards, shown once.

Between the POST that makes the passwords and the page that shows them, they wait in the
teacher's session. Sessions live in the database (and so in its backups), so the cards are
sealed there: encrypted and authenticated with keys derived from SECRET_KEY, which is not in
the database. Showing the cards removes them.

The cipher is HMAC-SHA256 in counter mode (a keystream from a pseudo-random function) with
a random nonce, then an HMAC over nonce and ciphertext: built from the standard library,
because the project has no encryption library and this is its only use for one.
"""

import base64
import json
import secrets
from collections.abc import MutableMapping

from django.utils.crypto import constant_time_compare, salted_hmac

from .classes import LoginCard

SESSION_KEY = "login_cards"
_STREAM_SALT = "lessons.login_cards.stream"
_MAC_SALT = "lessons.login_cards.mac"
_NONCE_BYTES = 16
_MAC_BYTES = 32
_BLOCK_BYTES = 32


def _keystream(nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + _BLOCK_BYTES - 1) // _BLOCK_BYTES):
        block = salted_hmac(_STREAM_SALT, nonce + counter.to_bytes(8, "big"), algorithm="sha256")
        blocks.append(block.digest())
    return b"".join(blocks)[:length]


def _mac(nonce: bytes, ciphertext: bytes) -> bytes:
    return salted_hmac(_MAC_SALT, nonce + ciphertext, algorithm="sha256").digest()


def seal(cards: list[LoginCard]) -> str:
    plain = json.dumps([[c.full_name, c.username, c.password] for c in cards]).encode()
    nonce = secrets.token_bytes(_NONCE_BYTES)
    ciphertext = bytes(a ^ b for a, b in zip(plain, _keystream(nonce, len(plain)), strict=True))
    return base64.b64encode(nonce + _mac(nonce, ciphertext) + ciphertext).decode("ascii")


def unseal(token: str) -> list[LoginCard] | None:
    """The cards, or None if the token was not sealed with this SECRET_KEY or was altered."""
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
    except (ValueError, AttributeError):
        return None
    nonce = raw[:_NONCE_BYTES]
    mac = raw[_NONCE_BYTES : _NONCE_BYTES + _MAC_BYTES]
    ciphertext = raw[_NONCE_BYTES + _MAC_BYTES :]
    if len(nonce) != _NONCE_BYTES or not constant_time_compare(mac, _mac(nonce, ciphertext)):
        return None
    keystream = _keystream(nonce, len(ciphertext))
    plain = bytes(a ^ b for a, b in zip(ciphertext, keystream, strict=True))
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
