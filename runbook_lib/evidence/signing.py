"""Who signs a run's chain head, and how a verifier knows the signature is the right one.

The seal: at each phase end the ledger signs a small *statement* - the run id, the sequence number and
sha256 of the chain head record, the sha256 of the ``index.html`` written with it, the algorithm and the
sha256 of the signing public key - and appends the signature as a ``signature`` record. The chain head
sha256 is the **digest** an operator pastes into the change ticket.

Signers: a local Ed25519 key file (``cryptography``; generated with mode 0600 when missing, in the sandbox
only) or an AWS KMS asymmetric ``SIGN_VERIFY`` key (ECC_NIST_P256 with ``ECDSA_SHA_256``, or RSA with
``RSASSA_PSS_SHA_256``; KMS signs the statement bytes as ``MessageType=RAW``).

Trust: a signature proves only that whoever holds the key signed. The public key inside a run folder is
there for convenience and is *never* trusted by itself: :class:`TrustAnchor` pins the key from outside the
folder (the key file or KMS key named by the params, a public key or its sha256 given to the verifier) or
pins the run itself by the digest from the change ticket.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import stat
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from runbook_lib.errors import EvidenceError, ParamsError, SigningKeyNotFoundError
from runbook_lib.evidence.chain import canonical_json, sha256_bytes
from runbook_lib.params import AwsParams, RunbookParams, resolve_path
from runbook_lib.paths import project_root
from runbook_lib.util import TMP_MARK

log = logging.getLogger("runbook_lib.evidence.signing")

PUBLIC_KEY_NAME = "signing-key.pub.pem"
STATEMENT_FORMAT = "runbook-evidence-seal/1"
ED25519 = "ED25519"
#: KMS signing algorithms we ask for, in order of preference.
KMS_ALGORITHMS: tuple[str, ...] = ("ECDSA_SHA_256", "RSASSA_PSS_SHA_256")


# --------------------------------------------------------------------------------------------
# The statement that is signed
# --------------------------------------------------------------------------------------------
def seal_statement(
    *, run_id: str, seq: int, head_sha256: str, index_sha256: str, public_key_sha256: str, algorithm: str
) -> bytes:
    """The exact bytes a signer signs for one chain head (canonical JSON)."""
    return canonical_json(
        {
            "format": STATEMENT_FORMAT,
            "run_id": run_id,
            "seq": seq,
            "head_sha256": head_sha256,
            "index_sha256": index_sha256,
            "public_key_sha256": public_key_sha256,
            "algorithm": algorithm,
        }
    )


def public_key_sha256(der: bytes) -> str:
    """The fingerprint of a public key: sha256 of its DER SubjectPublicKeyInfo."""
    return sha256_bytes(der)


def public_key_pem(der: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_der_public_key(der)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_der(pem_or_der: bytes) -> bytes:
    """DER SubjectPublicKeyInfo of a PEM or DER public key. Raises ValueError when it is not one."""
    from cryptography.hazmat.primitives import serialization

    if pem_or_der.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(pem_or_der)
    else:
        key = serialization.load_der_public_key(pem_or_der)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def signature_is_valid(der: bytes, algorithm: str, message: bytes, signature: bytes) -> bool:
    """Check ``signature`` over ``message`` offline with a DER public key (Ed25519, KMS ECDSA or RSA-PSS)."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    try:
        key = serialization.load_der_public_key(der)
        if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif algorithm == "ECDSA_SHA_256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif algorithm == "RSASSA_PSS_SHA_256" and isinstance(key, rsa.RSAPublicKey):
            # KMS uses a 32-byte salt; AUTO accepts any, as moto's maximum-length salt.
            key.verify(
                signature, message, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256()
            )
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Signers
# --------------------------------------------------------------------------------------------
class Signer(Protocol):
    algorithm: str
    key_id: str

    def public_key_der(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


def generate_ed25519_key(path: Path) -> None:
    """Write a new Ed25519 private key (PKCS#8 PEM) with mode 0600; never replaces an existing file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.parent / f".{path.name}{TMP_MARK}{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if another process created the key first: theirs wins
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def load_ed25519_key(path: Path) -> Any:
    """The private key in ``path``; refused when others may read it (as ssh refuses a 0644 key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceError(
            f"the evidence signing key {path} does not exist",
            hint="create it with `runbook evidence keygen KEY_FILE` (or set evidence.signing in the params)",
        ) from None
    if mode & 0o077:
        raise EvidenceError(
            f"the evidence signing key {path} is readable by others (mode {mode:04o})", hint=f"chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise EvidenceError(f"{path} is not an unencrypted PEM private key: {error}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise EvidenceError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


class Ed25519Signer:
    """Signs with a local Ed25519 key file."""

    algorithm = ED25519

    def __init__(self, key_file: Path, *, create_if_missing: bool = False) -> None:
        if create_if_missing and not key_file.exists():
            generate_ed25519_key(key_file)
            log.info("generated the evidence signing key %s (mode 0600)", key_file)
        self._key = load_ed25519_key(key_file)
        self.key_file = key_file
        self.key_id = f"ed25519:{key_file}"

    def public_key_der(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, message: bytes) -> bytes:
        return bytes(self._key.sign(message))


class KmsSigner:
    """Signs with an AWS KMS asymmetric key (``kms:GetPublicKey`` and ``kms:Sign``)."""

    def __init__(self, key_id: str, client: Any) -> None:
        self._client = client
        self.requested_key_id = key_id
        response = _kms_call(key_id, "GetPublicKey", lambda: client.get_public_key(KeyId=key_id))
        if response.get("KeyUsage") != "SIGN_VERIFY":
            raise EvidenceError(
                f"KMS key {key_id} has KeyUsage {response.get('KeyUsage')}, not SIGN_VERIFY",
                hint="evidence.signing.kms_key_id must name an asymmetric signing key (ECC_NIST_P256 or RSA)",
            )
        offered = response.get("SigningAlgorithms") or []
        algorithm = next((a for a in KMS_ALGORITHMS if a in offered), None)
        if algorithm is None:
            raise EvidenceError(
                f"KMS key {key_id} offers {', '.join(offered) or 'no'} signing algorithms",
                hint=f"use a key that offers one of {', '.join(KMS_ALGORITHMS)} (ECC_NIST_P256 or RSA)",
            )
        self.algorithm = algorithm
        self.key_id = str(response.get("KeyId") or key_id)
        self._der = bytes(response["PublicKey"])

    def public_key_der(self) -> bytes:
        return self._der

    def sign(self, message: bytes) -> bytes:
        response = _kms_call(
            self.requested_key_id,
            "Sign",
            lambda: self._client.sign(
                KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm=self.algorithm
            ),
        )
        return bytes(response["Signature"])

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Ask KMS itself (``kms:Verify``); an invalid signature is ``False``, not an error."""
        from botocore.exceptions import ClientError

        try:
            response = self._client.verify(
                KeyId=self.key_id,
                Message=message,
                MessageType="RAW",
                Signature=signature,
                SigningAlgorithm=self.algorithm,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "KMSInvalidSignatureException":
                return False
            raise EvidenceError(f"KMS Verify with {self.requested_key_id} failed: {error}") from None
        return bool(response.get("SignatureValid"))


def _kms_call(key_id: str, action: str, call: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NotFoundException":
            raise SigningKeyNotFoundError(
                f"KMS {action} with key {key_id} failed: the key does not exist",
                hint="stack 00_state_backend creates it (evidence_signing_key_alias in its tfvars must equal "
                "evidence.signing.kms_key_id); apply that stack, or correct the params",
            ) from None
        raise EvidenceError(
            f"KMS {action} with key {key_id} failed: {code or error}",
            hint=f"check evidence.signing.kms_key_id and that the caller may kms:{action} and kms:GetPublicKey",
        ) from None
    except BotoCoreError as error:
        raise EvidenceError(
            f"KMS {action} with key {key_id} failed: {error}", hint="check AWS credentials and the aws.* params"
        ) from None


# --------------------------------------------------------------------------------------------
# The signing configuration a run keeps (in its first record), so every process that reopens it signs alike
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SigningConfig:
    """How this run's chain heads are signed.

    ``create_if_missing`` (Ed25519 only) is true only for an unprotected sandbox run; ``aws`` is the params' ``aws``
    section (no secrets in it), so a notebook kernel that reopens the run reaches the same KMS.
    """

    mode: str = "none"
    key_file: str | None = None
    kms_key_id: str | None = None
    create_if_missing: bool = False
    aws: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: RunbookParams, root: Path | None = None) -> SigningConfig:
        """The configuration ``evidence.signing`` describes; a relative ``key_file`` is relative to ``root``."""
        signing = params.evidence.signing
        sandbox = params.is_sandbox and not params.protected
        key_file = None
        if signing.key_file is not None:
            key_file = str(resolve_path(signing.key_file, root or project_root()).resolve())
        return cls(
            mode=signing.mode,
            key_file=key_file,
            kms_key_id=signing.kms_key_id,
            create_if_missing=sandbox,
            aws=params.aws.model_dump(mode="json") if signing.mode == "kms" else {},
        )

    @classmethod
    def from_record(cls, data: Any) -> SigningConfig:
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_record(self) -> dict[str, Any]:
        """Every field, as the run's first record keeps it (``from_record`` reads it back)."""
        return asdict(self)

    def describe(self) -> str:
        if self.mode == "ed25519":
            return f"ed25519 key file {self.key_file}"
        if self.mode == "kms":
            return f"AWS KMS key {self.kms_key_id}"
        return "not signed (evidence.signing.mode none)"

    def signer(self) -> Signer | None:
        """The signer this configuration names (``None`` for mode none); talks to KMS for mode kms."""
        if self.mode == "ed25519":
            if not self.key_file:
                raise ParamsError("evidence.signing.key_file", None, "a key file path with mode ed25519")
            return Ed25519Signer(Path(self.key_file), create_if_missing=self.create_if_missing)
        if self.mode == "kms":
            if not self.kms_key_id:
                raise ParamsError("evidence.signing.kms_key_id", None, "a KMS key id or alias with mode kms")
            return KmsSigner(self.kms_key_id, kms_client(AwsParams.model_validate(self.aws)))
        return None


def kms_client(aws: AwsParams) -> Any:
    from runbook_lib.clients import aws_client

    return aws_client("kms", aws)


# --------------------------------------------------------------------------------------------
# What the verifier trusts
# --------------------------------------------------------------------------------------------
@dataclass
class TrustAnchor:
    """The key a verifier expects, from outside the run folder.

    Exactly one of ``public_key_der`` (the key itself), ``public_key_sha256`` (its fingerprint) or ``kms``
    (a :class:`KmsSigner` whose public key and ``Verify`` call are asked of KMS) is set; ``source`` says
    where it came from, for the report.
    """

    source: str
    public_key_der: bytes | None = None
    public_key_sha256: str | None = None
    kms: KmsSigner | None = None

    @property
    def fingerprint(self) -> str:
        if self.public_key_der is not None:
            return public_key_sha256(self.public_key_der)
        if self.kms is not None:
            return public_key_sha256(self.kms.public_key_der())
        return (self.public_key_sha256 or "").lower()

    def pinned_der(self) -> bytes | None:
        if self.public_key_der is not None:
            return self.public_key_der
        if self.kms is not None:
            return self.kms.public_key_der()
        return None

    @classmethod
    def from_public_key_file(cls, path: Path) -> TrustAnchor:
        try:
            der = public_key_der(path.read_bytes())
        except OSError as error:
            raise ParamsError("--public-key", str(path), "a readable PEM or DER public key file") from error
        except ValueError as error:
            raise ParamsError("--public-key", str(path), f"a PEM or DER public key ({error})") from None
        return cls(source=f"public key file {path}", public_key_der=der)

    @classmethod
    def from_fingerprint(cls, fingerprint: str) -> TrustAnchor:
        value = fingerprint.lower().removeprefix("sha256:")
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ParamsError("--public-key-sha256", fingerprint, "64 hex digits (sha256 of the DER public key)")
        return cls(source=f"public key sha256 {value}", public_key_sha256=value)


def trust_from_params(params: RunbookParams, root: Path | None = None) -> TrustAnchor | None:
    """The anchor ``evidence.signing`` names: the Ed25519 key file's public half, or the KMS key.

    Returns ``None`` for mode ``none``. Never creates a key: a missing key file is an error here.
    """
    config = SigningConfig.from_params(params, root)
    where = f"params {params.env} evidence.signing"
    if config.mode == "ed25519":
        signer = Ed25519Signer(Path(str(config.key_file)))
        return TrustAnchor(source=f"{where}.key_file {config.key_file}", public_key_der=signer.public_key_der())
    if config.mode == "kms":
        return TrustAnchor(
            source=f"{where}.kms_key_id {config.kms_key_id}",
            kms=KmsSigner(str(config.kms_key_id), kms_client(params.aws)),
        )
    return None


def encode_signature(signature: bytes) -> str:
    return base64.b64encode(signature).decode("ascii")


def decode_signature(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("signature is not a string")
    return base64.b64decode(text.encode("ascii"), validate=True)
