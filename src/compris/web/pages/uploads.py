"""Attached files, served back: to signed-in users of the file's workspace (``/uploads/{id}``) and, through a
signed expiring link, to the networks that fetch an attachment by URL (``/media/{token}``).

Customers' and agents' files are untrusted: only the types Compris recognised from the bytes are stored, and
they are served with that type (never HTML), ``X-Content-Type-Options: nosniff``, a ``Content-Disposition``
(inline only for images, video and audio) and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from compris.kit.clock import now
from compris.kit.errors import NotFound
from compris.models import Upload
from compris.uploads import media_links, store
from compris.uploads.queries import get_upload
from compris.web.deps import ReadCasesPage, get_runtime, get_session
from compris.web.pages.render import render

router = APIRouter(include_in_schema=False)

INLINE_KINDS = frozenset({"image", "video", "audio"})


def file_response(upload: Upload, data: bytes, *, public: bool = False) -> Response:
    """The file with headers that keep a browser from running or re-typing it."""
    disposition = "inline" if upload.kind in INLINE_KINDS else "attachment"
    ascii_name = upload.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(upload.name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; sandbox",
        "Cache-Control": "public, max-age=3600" if public else "private, max-age=3600",
        "Cross-Origin-Resource-Policy": "cross-origin" if public else "same-origin",
    }
    return Response(content=data, media_type=upload.mime_type, headers=headers)


def stored_bytes(request: Request, upload: Upload) -> bytes:
    try:
        return store.read(get_runtime(request).settings.data_dir, upload.workspace_id, upload.sha256)
    except OSError:
        raise NotFound("the file is missing from the file store") from None


@router.get("/uploads/{upload_id}")
def open_upload(upload_id: int, request: Request, ctx: ReadCasesPage) -> Response:
    """A file of the signed-in user's workspace (another workspace's file is "not found")."""
    try:
        upload = get_upload(ctx.session, ctx.user.workspace_id, upload_id)
        data = stored_bytes(request, upload)
    except NotFound:
        return render(request, ctx, "error.html", status_code=404, code=404, message="not_found")
    return file_response(upload, data)


@router.get("/media/{token}")
@router.get("/media/{token}/{name}")
def public_media(token: str, request: Request, name: str = "", session: Session = Depends(get_session)) -> Response:
    """A file named by a signed, unexpired token, for the network that delivers the reply (no login)."""
    settings = get_runtime(request).settings
    ref = media_links.verify(settings.secret_key, token, now())
    if ref is None:
        return Response("not found", status_code=404, media_type="text/plain")
    try:
        upload = get_upload(session, ref.workspace_id, ref.upload_id)
        data = stored_bytes(request, upload)
    except NotFound:
        return Response("not found", status_code=404, media_type="text/plain")
    return file_response(upload, data, public=True)
