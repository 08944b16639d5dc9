"""Document rendering (placeholder until the PDF module lands)."""
import hashlib
import hmac

from django.conf import settings


def document_checksum(document) -> str:
    message = f"{document.uuid}|{document.number}|{document.holder_name}|{document.issued_on}"
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()[:12].upper()
