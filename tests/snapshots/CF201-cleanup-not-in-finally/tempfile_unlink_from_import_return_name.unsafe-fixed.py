import hashlib
import logging
import tempfile
from os import unlink

log = logging.getLogger(__name__)

CHUNK = 1 << 16


async def checksum_upload(request, algorithm: str = "sha256") -> str | None:
    digest = hashlib.new(algorithm)
    spool = tempfile.NamedTemporaryFile(prefix="upload-", delete=False)
    try:
        with spool:
            while chunk := await request.content.read(CHUNK):
                spool.write(chunk)
                digest.update(chunk)
        result = digest.hexdigest()
        return result
    except OSError:
        log.exception("could not spool upload to %s", spool.name)
        return None
    finally:
        unlink(spool.name)
