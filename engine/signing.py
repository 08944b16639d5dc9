"""Digital signatures on issued documents (PAdES B-B, with pyHanko) and their verification.

Every document PDF is signed with the key of the unit that issued it (the county bureau, or a
township issuing in its own name), so a PDF forwarded by email can be checked without the
website: any PAdES reader (Adobe Reader, the verification page's upload form, pyHanko) sees
whether the file is intact and who signed it. The red seal printed on the page stays; the
signature is invisible (no widget over the seal).

Keys and certificates are files, never committed, under ``settings.SIGNING_DIR``::

    SIGNING_DIR/ca/ca.crt                    trust anchor(s) (settings.SIGNING_TRUST_ROOTS)
    SIGNING_DIR/units/<doc_prefix>/key.pem   the unit's private key (PEM, PKCS#8 or PKCS#1;
                                             SIGNING_KEY_PASSPHRASE if encrypted)
    SIGNING_DIR/units/<doc_prefix>/cert.pem  its certificate
    SIGNING_DIR/units/<doc_prefix>/chain.pem intermediate certificates, optional

A unit is named by its document-number prefix (``Unit.doc_prefix``, e.g. 婺民, 罗店政): every
issuer has one, and it is what an operator sees on the documents.

* ``SIGNING_AUTO_CREATE`` on (the demo, tests): a demo CA (``ca/ca.key`` next to its
  certificate) and each unit's key and certificate are created the first time they are
  needed (``seed_demo`` creates them for every issuing unit up front). The CA's name says
  it is a demo CA.
* Off (production): a unit without a usable key and certificate cannot issue: the deciding
  step is refused (``SigningNotConfigured``, a Chinese message naming the files to install)
  and nothing is numbered. An unsigned document is never issued.

Signing is deterministic: the signing time is the document's issue moment and the new PDF
identifier a hash of the unsigned PDF, and RSA PKCS#1 v1.5 signatures have no random part, so
re-rendering a document gives the same bytes (as before signing).
"""
import contextlib
import fcntl
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

SIGNATURE_FIELD_PREFIX = "MZDOC-"
_UUID_RE = re.compile(r"^MZDOC-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
# Demo certificates cover every date a demo or a test walks through (seeds and tests set
# the clock back to past dates); production certificates are whatever the CA issued.
_DEMO_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
_DEMO_NOT_AFTER = datetime(2045, 12, 31, tzinfo=UTC)
DEMO_CA_NAME = "民政审批引擎演示根证书（仅供演示）"


class SigningNotConfigured(Exception):
    """The issuing unit has no usable signing key and certificate (Chinese message)."""


def _dir() -> Path:
    return Path(settings.SIGNING_DIR)


def unit_code(unit) -> str:
    """The directory name of a unit's key material: its document-number prefix."""
    code = (unit.doc_prefix or "").strip()
    if not code or code.startswith(".") or "/" in code or "\\" in code or "\0" in code:
        raise SigningNotConfigured(
            f"{unit.name}尚未设置有效的文号前缀，无法确定其电子签章证书，不能出具文书")
    return code


def unit_office_name(unit) -> str:
    """The name the unit's certificate carries (the issuer printed on its documents)."""
    from .issuers import township_office_name
    from .models import UnitLevel

    if unit.level == UnitLevel.TOWNSHIP:
        return township_office_name(unit)
    return unit.office_name or unit.name


@dataclass(frozen=True)
class UnitFiles:
    key: Path
    cert: Path
    chain: Path


def unit_files(code: str) -> UnitFiles:
    folder = _dir() / "units" / code
    return UnitFiles(key=folder / "key.pem", cert=folder / "cert.pem", chain=folder / "chain.pem")


def trust_root_files() -> list[Path]:
    configured = getattr(settings, "SIGNING_TRUST_ROOTS", None)
    if configured:
        return [Path(p) for p in configured]
    return [_dir() / "ca" / "ca.crt"]


# ---------------------------------------------------------------------------------------------
# Demo CA and unit certificates (created only with SIGNING_AUTO_CREATE or --demo-signing)


@contextlib.contextmanager
def _lock():
    """One process at a time creates key material (two workers issuing the first document
    of a unit at once must not write two different keys)."""
    _dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(_dir() / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write(path: Path, data: bytes, *, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _new_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    # RSA: signatures without a random part (re-renders give the same bytes) and read by
    # every PDF reader; 2048 bits is what CAs issue for document signing.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _x509_name(common_name: str, organisation: str, unit: str = ""):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    for value in (common_name, organisation):
        if len(value.encode()) > 64:  # X.520 upper bound, as the cryptography package counts
            raise SigningNotConfigured(f"单位名称“{value}”过长（证书中的名称最多 21 个汉字），"
                                       f"无法制作演示证书")
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def demo_ca_ensure():
    """The demo CA's (key, certificate), created on first use. Call under ``_lock``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    key_path, cert_path = _dir() / "ca" / "ca.key", _dir() / "ca" / "ca.crt"
    if key_path.is_file() and cert_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = _new_key()
    name = _x509_name(DEMO_CA_NAME, "民政审批引擎演示")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_DEMO_NOT_BEFORE).not_valid_after(_DEMO_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _pem_key(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)
    logger.info("created the demo signing CA in %s", cert_path.parent)
    return key, cert


def _demo_unit_create(code: str, office_name: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    ca_key, ca_cert = demo_ca_ensure()
    key = _new_key()
    cert = (x509.CertificateBuilder()
            .subject_name(_x509_name(office_name, office_name, code))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_DEMO_NOT_BEFORE).not_valid_after(_DEMO_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = unit_files(code)
    _write(files.key, _pem_key(key), private=True)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), private=False)
    logger.info("created a demo signing certificate for %s (%s)", office_name, code)


def _cert_common_name(cert) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def demo_unit_ensure(unit) -> bool:
    """Create the demo key and certificate of ``unit`` unless it has one in its current name.
    Returns whether one was created."""
    from cryptography import x509

    code, office_name = unit_code(unit), unit_office_name(unit)
    files = unit_files(code)
    with _lock():
        if files.key.is_file() and files.cert.is_file():
            try:
                current = x509.load_pem_x509_certificate(files.cert.read_bytes())
            except ValueError:
                current = None
            if current is not None and _cert_common_name(current) == office_name:
                return False
        _demo_unit_create(code, office_name)
        return True


def demo_signing_setup(units) -> list[tuple[str, str, bool]]:
    """Demo CA and a certificate for each unit that issues documents (those with a number
    prefix): [(office name, code, created)]."""
    done = []
    for unit in units:
        if not (unit.doc_prefix or "").strip():
            continue
        created = demo_unit_ensure(unit)
        done.append((unit_office_name(unit), unit_code(unit), created))
    return done


# ---------------------------------------------------------------------------------------------
# Loading a unit's signer


_signer_cache: dict[str, tuple[tuple, object]] = {}


@lru_cache(maxsize=1)
def _signer_class():
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class Signer(signers.SimpleSigner):
        """pyHanko's SimpleSigner re-parses the private key for every signature, and
        cryptography's RSA key check costs ~30 ms; keep the parsed key (loaded and checked
        once in ``_load_signer``)."""

        pyca_key = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if isinstance(self.pyca_key, RSAPrivateKey) and \
                    mechanism.signature_algo == "rsassa_pkcs1v15":
                return self.pyca_key.sign(data, PKCS1v15(),
                                          get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)

    return Signer


def _stamp(*paths: Path) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else
                 (str(p), None, None) for p in paths)


def _missing_message(unit, code: str, files: UnitFiles, reason: str) -> str:
    return (f"{unit_office_name(unit)}的电子签章证书{reason}，文书不能出具。请县民政局"
            f"主管人员联系系统管理员，在服务器上配置该单位的签名私钥和证书"
            f"（{files.key}、{files.cert}，单位代码“{code}”即文号前缀）")


def _load_signer(unit, code: str, files: UnitFiles):
    from cryptography import x509
    from pyhanko.sign import signers

    if not files.key.is_file() or not files.cert.is_file():
        raise SigningNotConfigured(_missing_message(unit, code, files, "尚未配置"))
    passphrase = getattr(settings, "SIGNING_KEY_PASSPHRASE", "") or None
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    except ValueError:
        raise SigningNotConfigured(_missing_message(unit, code, files, "无法读取（证书文件格式"
                                                                       "不是 PEM）")) from None
    now = datetime.now(tz=UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningNotConfigured(_missing_message(
            unit, code, files, f"不在有效期内（{cert.not_valid_before_utc:%Y-%m-%d} 至 "
                               f"{cert.not_valid_after_utc:%Y-%m-%d}）"))
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(
            files.key.read_bytes(), password=passphrase.encode() if passphrase else None)
    except (ValueError, TypeError):
        raise SigningNotConfigured(_missing_message(unit, code, files, "无法读取（私钥文件格式"
                                                                       "或口令不对）")) from None
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise SigningNotConfigured(_missing_message(unit, code, files, "与私钥不匹配"))
    loaded = signers.SimpleSigner.load(
        str(files.key), str(files.cert),
        ca_chain_files=(str(files.chain),) if files.chain.is_file() else None,
        key_passphrase=passphrase.encode() if passphrase else None)
    if loaded is None:  # pyHanko logs the reason
        raise SigningNotConfigured(_missing_message(unit, code, files, "无法读取（私钥文件格式"
                                                                       "或口令不对）"))
    signer = _signer_class()(signing_key=loaded.signing_key, signing_cert=loaded.signing_cert,
                             cert_registry=loaded.cert_registry)
    signer.pyca_key = key
    return signer


def signer_for(unit):
    """The pyHanko signer of ``unit`` (cached per process until the files change). With
    ``SIGNING_AUTO_CREATE`` a demo key and certificate are made when missing; otherwise a
    missing or unusable one raises ``SigningNotConfigured``."""
    code = unit_code(unit)
    files = unit_files(code)
    if settings.SIGNING_AUTO_CREATE:
        demo_unit_ensure(unit)
    return _cached_signer(unit, code, files)


def _cached_signer(unit, code: str, files: UnitFiles):
    stamp = _stamp(files.key, files.cert, files.chain)
    cached = _signer_cache.get(code)
    # Reused while the files are unchanged and the certificate still in force (a long-lived
    # worker must not go on signing after it expired).
    if cached is not None and cached[0] == stamp and \
            datetime.now(tz=UTC) <= cached[1].signing_cert.not_valid_after:
        return cached[1]
    signer = _load_signer(unit, code, files)
    _signer_cache[code] = (stamp, signer)
    return signer


def signing_check(unit) -> None:
    """Raise ``SigningNotConfigured`` unless ``unit`` can sign (called before a document is
    numbered, so a unit without a key refuses the decision instead of issuing unsigned)."""
    signer_for(unit)


def signing_status(units) -> list[dict]:
    """For operators (bootstrap_county, 本县设置): each issuing unit, its key files and
    whether it can sign."""
    rows = []
    for unit in units:
        if not (unit.doc_prefix or "").strip():
            continue
        code = unit_code(unit)
        files = unit_files(code)
        try:
            _cached_signer(unit, code, files)
            problem = ""
        except SigningNotConfigured as exc:
            problem = str(exc)
        rows.append({"unit": unit, "office_name": unit_office_name(unit), "code": code,
                     "key": files.key, "cert": files.cert, "ok": not problem,
                     "problem": problem})
    return rows


# ---------------------------------------------------------------------------------------------
# Signing


def _deterministic_writer(pdf: bytes, moment: datetime):
    """pyHanko's incremental writer with the two values it would otherwise take from the
    clock and the random generator: the /ModDate it writes and the second half of the
    file identifier (a hash of the unsigned file instead)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class Writer(IncrementalPdfFileWriter):
        def _update_meta(self):
            super()._update_meta()
            if self._info is not None:
                self._info.get_object()["/ModDate"] = generic.pdf_date(moment)

    writer = Writer(io.BytesIO(pdf), strict=False)
    digest = hashlib.sha256(pdf).digest()
    # The first half stays the original's when it has one (ISO 32000 14.4); WeasyPrint
    # writes none, and pyHanko would draw both halves at random.
    id1 = writer._document_id[0] if "/ID" in writer.prev.trailer else \
        generic.ByteStringObject(digest[16:])
    writer._document_id = generic.ArrayObject([id1, generic.ByteStringObject(digest[:16])])
    return writer


def pdf_sign(pdf: bytes, *, unit, moment: datetime, document_uuid, reason: str) -> bytes:
    """Sign ``pdf`` (PAdES B-B, SHA-256) with ``unit``'s key; ``moment`` is the claimed
    signing time (the document's issue moment). The signature field is named after the
    document's uuid, so the verification page finds the record the file belongs to."""
    from pyhanko.sign import fields, signers

    signer = signer_for(unit)

    class Signer(signers.PdfSigner):
        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = moment  # not the clock: re-renders give the same bytes
            return session

    meta = signers.PdfSignatureMetadata(
        field_name=f"{SIGNATURE_FIELD_PREFIX}{document_uuid}", md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
        location=unit_office_name(unit), name=unit_office_name(unit))
    # Room for the CMS object: the signature, signed attributes and the certificates
    # (pyHanko would otherwise sign once more, as a dry run, to measure it).
    reserved = 4096 + sum(len(c.dump()) for c in (signer.signing_cert,
                                                  *signer.cert_registry))
    reserved += reserved % 2  # pyHanko wants an even number
    output = Signer(meta, signer=signer).sign_pdf(_deterministic_writer(pdf, moment),
                                                  bytes_reserved=reserved)
    return output.getvalue()


# ---------------------------------------------------------------------------------------------
# Verification of an uploaded PDF

VALID = "valid"  # intact, trusted, and the record agrees
UNTRUSTED = "untrusted"  # intact, but not by a certificate of the configured CA
ALTERED = "altered"  # the signature does not match the content: changed after signing
UNSIGNED = "unsigned"
UNREADABLE = "unreadable"  # not a PDF, or too damaged to read
UNKNOWN = "unknown"  # a trusted signature on a file this installation has no record of
MISMATCH = "mismatch"  # trusted, but signed by a unit other than the document's issuer

OUTCOME_MESSAGES = {
    VALID: "电子签名有效：文件自签名以来未被修改，签名证书由本系统认可的证书机构签发。",
    UNTRUSTED: "文件未被修改，但签名证书不是本系统认可的证书机构签发的，无法确认出具机关，"
               "请勿采信。",
    ALTERED: "电子签名无效：文件在签名后被修改过，内容不可信。",
    UNSIGNED: "该 PDF 文件没有电子签名，无法核验。",
    UNREADABLE: "无法读取该文件：不是有效的 PDF 文件，或文件已损坏。",
    UNKNOWN: "电子签名有效，但本系统没有这份文书的记录。",
    MISMATCH: "电子签名有效，但签名单位与系统记录的出具机关不一致，请勿采信。",
}


@dataclass
class PdfVerification:
    outcome: str
    signer: str = ""  # the signing certificate's holder (common name)
    signer_issuer: str = ""  # the CA that issued the signing certificate
    signed_at: datetime | None = None  # the signer's claimed time (B-B: not proven)
    document: object = None  # engine.models.Document, for VALID only
    same_as_record: bool = False  # byte for byte the PDF the system keeps
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return OUTCOME_MESSAGES[self.outcome]

    @property
    def signature_ok(self) -> bool:
        return self.outcome == VALID


_roots_cache: dict[tuple, list] = {}


def trust_roots() -> list:
    """The configured CA certificates (asn1crypto objects), cached until the files change."""
    from pyhanko.keys import load_certs_from_pemder

    paths = [p for p in trust_root_files() if p.is_file()]
    stamp = _stamp(*paths)
    if stamp not in _roots_cache:
        _roots_cache.clear()
        _roots_cache[stamp] = list(load_certs_from_pemder([str(p) for p in paths]))
    return _roots_cache[stamp]


def _name_part(name, key: str) -> str:
    try:
        return str(name.native.get(key) or "")
    except Exception:  # noqa: BLE001 - a malformed name in an untrusted certificate
        return ""


def pdf_verify(data: bytes) -> PdfVerification:
    """Check an uploaded PDF's last signature: intact over the whole file, by a certificate
    chaining to the configured trust roots, and (then) the document record it belongs to.
    Never raises on bad input: garbage is UNREADABLE."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if b"%PDF-" not in data[:1024]:
        return PdfVerification(UNREADABLE)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure of an uploaded file
        logger.info("uploaded PDF unreadable", exc_info=True)
        return PdfVerification(UNREADABLE)
    if not signatures:
        return PdfVerification(UNSIGNED)
    embedded = signatures[-1]
    context = ValidationContext(trust_roots=trust_roots(), allow_fetching=False,
                                revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(embedded, context)
    except (SignatureValidationError, ValueError, KeyError, TypeError):
        logger.info("uploaded PDF signature unreadable", exc_info=True)
        return PdfVerification(ALTERED)
    except Exception:  # noqa: BLE001 - a hostile file must not become a 500
        logger.info("uploaded PDF signature could not be validated", exc_info=True)
        return PdfVerification(ALTERED)
    cert = status.signing_cert
    result = PdfVerification(
        ALTERED, signer=_name_part(cert.subject, "common_name") if cert else "",
        signer_issuer=_name_part(cert.issuer, "common_name") if cert else "",
        signed_at=status.signer_reported_dt)
    if not (status.intact and status.valid) or \
            status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        result.signer = result.signer_issuer = ""  # an altered file's claims mean nothing
        result.signed_at = None
        return result
    if not status.trusted:
        result.outcome = UNTRUSTED
        return result
    return _match_record(result, embedded, data)


def _match_record(result: PdfVerification, embedded, data: bytes) -> PdfVerification:
    """A trusted signature: find the document it belongs to (the uuid in the signed field
    name, an indexed look-up), note whether the file is byte for byte the PDF kept, and
    check it was signed by its issuer."""
    from .issuers import document_issuer_name
    from .models import Document

    match = _UUID_RE.match(str(embedded.field_name or ""))
    document = (Document.objects.select_related("issuer_unit", "handling_unit")
                .filter(uuid=match.group(1)).first() if match else None)
    if document is None:
        result.outcome = UNKNOWN
        return result
    result.document = document
    result.same_as_record = document.pdf_sha256 == hashlib.sha256(data).hexdigest()
    if not result.same_as_record and result.signer != document_issuer_name(document):
        result.outcome = MISMATCH
        result.document = None
        return result
    if not result.same_as_record:
        result.notes.append("签名有效，但与系统当前留存的文件不完全相同（文书可能已重新生成），"
                            "请以本页显示的文书信息为准。")
    result.outcome = VALID
    return result
