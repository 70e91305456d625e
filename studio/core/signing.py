"""Optional Ed25519 signatures on shared models, and the user's list of trusted keys.

The checkpoint digest (``checkpoint._digest``) is an unkeyed sha256: it catches damage,
but anyone who edits a file can compute it again. A signature is what a tamperer cannot
recompute: ``library.sign_model`` signs the file's digest (which covers the format version, the
metadata and every tensor byte) with the author's private key and stores the signature and
the public key in the header's ``signature`` field, outside the digest, so signing changes
no digest and no tensor byte. ``load_checkpoint`` checks the digest against the content and
then, when a signature is present, the signature against the digest: a signed file edited
afterwards is refused even with a recomputed digest. Whether a valid signature means
anything is the user's call: ``models --trust KEY --as NAME`` puts a public key on the
trust list (``trusted-keys.json`` in the user folder) and the library then shows
"signed by NAME"; a valid signature by a key not on the list shows as an untrusted key.

What it does not do: an unsigned file is still loaded (signing is optional; removing a
signature turns a file into an unsigned one, which the listing shows), and a private key
that leaks signs anything. Keys are raw Ed25519 keys from the ``cryptography`` package;
the private key file is PKCS#8 PEM (``openssl genpkey -algorithm ed25519`` writes the same).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

PREFIX = b"sequence-studio signature 1\0"   # domain separation: never a signature of anything else
TRUST_FILE = "trusted-keys.json"


class SigningError(ValueError):
    """A key or signature that cannot be used; the message says why (one line)."""


def _crypto():
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:  # pragma: no cover - a dependency; said plainly if absent
        raise SigningError("signatures need the 'cryptography' package (pip install "
                           "cryptography)") from None
    return ed25519, serialization, InvalidSignature


# -- keys ---------------------------------------------------------------------------------

def public_text(public_key) -> str:
    """``ed25519:BASE64`` (the raw 32 bytes): one line, for files, chat and the trust list."""
    _, serialization, _ = _crypto()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + base64.b64encode(raw).decode()


def key_id(text: str) -> str:
    """A short fingerprint of a public key line (16 hex digits of its sha256)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_public(text: str):
    """A public key from ``ed25519:BASE64``, bare base64 or a PEM block."""
    ed25519, serialization, _ = _crypto()
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise SigningError("the public key is not an Ed25519 key")
            return key
        raw = base64.b64decode(text.removeprefix("ed25519:"), validate=True)
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except SigningError:
        raise
    except (ValueError, TypeError) as exc:
        raise SigningError(f"not an Ed25519 public key ({exc})") from None


def read_public(path_or_text) -> str:
    """A public key line from a file (``.pub`` or PEM) or given as text; checked."""
    path = Path(str(path_or_text))
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else str(path_or_text)
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningError(f"{path}: cannot read the public key ({exc})") from None
    return public_text(parse_public(text))


def load_private(path):
    ed25519, serialization, _ = _crypto()
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the key ({exc.strerror or exc})") from None
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 private key")
    return key


def new_key(path, force: bool = False) -> tuple[Path, Path, str]:
    """A new key pair: the private key at ``path`` (PEM, readable by its owner only) and
    the public line at ``path.pub``; neither replaces a file without ``force``."""
    import os

    from studio.core.outputs import write_file

    ed25519, serialization, _ = _crypto()
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = Path(path)
    pub = path.with_name(path.name + ".pub")
    line = public_text(key.public_key())

    def private(tmp: Path) -> None:
        tmp.write_bytes(pem)
        os.chmod(tmp, 0o600)
    write_file(path, private, force=force)
    os.chmod(path, 0o600)  # (write_file makes 0644: this one is a secret)
    write_file(pub, lambda tmp: tmp.write_text(line + "\n", encoding="utf-8"), force=force)
    return path, pub, line


# -- the trust list -----------------------------------------------------------------------

def trust_path() -> Path:
    from studio.paths import user_data_dir

    return user_data_dir() / TRUST_FILE


def trusted_keys() -> dict[str, str]:
    """public key line -> the name the user gave it (a damaged list is treated as empty)."""
    try:
        data = json.loads(trust_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def trust_key(key, name: str) -> str:
    """Put a public key (file or text) on the trust list as ``name``; returns its line."""
    from studio.core.outputs import write_file

    line = read_public(key)
    name = " ".join(str(name).split())[:80]
    if not name:
        raise SigningError("give the key a name (--as NAME): the library shows 'signed by NAME'")
    keys = trusted_keys()
    keys[line] = name
    write_file(trust_path(), lambda tmp: tmp.write_text(json.dumps(keys, indent=1),
                                                        encoding="utf-8"), force=True)
    return line


# -- signing and checking -----------------------------------------------------------------

def _message(md: dict) -> bytes:
    return PREFIX + f"{md.get('format_version')}\0{md.get('digest')}".encode()


def signed_bytes(data: bytes, key_path) -> tuple[bytes, str]:
    """A checkpoint's bytes with a signature of its stored digest added to the header
    (the tensors and the digest unchanged), and the signer's public key line. The caller
    (``library.sign_model``) has verified the content against the digest first."""
    key = load_private(key_path)
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    md = header["__metadata__"]
    line = public_text(key.public_key())
    md["signature"] = json.dumps({"scheme": "ed25519", "key": line,
                                  "sig": base64.b64encode(key.sign(_message(md))).decode()})
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # safetensors aligns the data to 8 bytes
    return struct.pack("<Q", len(blob)) + blob + data[8 + n:], line


def check_signature(md: dict) -> str | None:
    """None when unsigned; the signer's public key line for a valid signature over the
    stored digest; else ``SigningError`` saying why it is not valid."""
    raw = md.get("signature")
    if raw is None:
        return None
    _, _, InvalidSignature = _crypto()
    try:
        sig = json.loads(raw) if isinstance(raw, str) else None
        if not isinstance(sig, dict) or sig.get("scheme") != "ed25519":
            raise SigningError("its signature is malformed or of an unknown scheme")
        key = parse_public(str(sig.get("key", "")))
        key.verify(base64.b64decode(str(sig.get("sig", "")), validate=True), _message(md))
    except InvalidSignature:
        raise SigningError("its signature does not match (the file was changed after it was "
                           "signed)") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, SigningError):
            raise
        raise SigningError(f"its signature is malformed ({exc})") from None
    return public_text(key)


def signature_status(path) -> str:
    """For a listing: 'unsigned', 'signed by NAME' (a trusted key), 'signed by an
    untrusted key KEYID' or 'bad signature: why'. Header only; the content is checked
    against the signed digest when the model loads."""
    from studio.core.header import CheckpointError, header_from, open_regular

    try:
        with open_regular(Path(path)) as f:
            md = header_from(f, Path(path)).get("__metadata__") or {}
        found = check_signature(md if isinstance(md, dict) else {})
    except (CheckpointError, SigningError) as exc:
        return f"bad signature: {exc}"
    if found is None:
        return "unsigned"
    name = trusted_keys().get(found)
    return f"signed by {name}" if name else f"signed by an untrusted key {key_id(found)}"
