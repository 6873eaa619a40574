"""Files to attach to replies: upload one, read its description or its bytes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import Response

from compris.uploads import actions as upload_actions
from compris.uploads.queries import get_upload
from compris.uploads.schemas import UploadOut
from compris.web.api.common import ErrorOut, ReadCasesApi, WorkCasesApi, errors
from compris.web.pages.uploads import file_response, stored_bytes

router = APIRouter(tags=["uploads"])

UploadId = Annotated[int, Path(description="The upload id (from `POST /uploads`).", examples=[17])]


def _out(upload: object) -> UploadOut:
    return UploadOut.model_validate(upload, from_attributes=True)


@router.post(
    "/uploads", status_code=201, response_model=UploadOut, summary="Upload a file to attach to a reply",
    responses={**errors(422), 413: {"model": ErrorOut, "description": "The file is larger than "
                                    "`COMPRIS_MAX_UPLOAD_BYTES` (10 MB by default)."},
               422: {"model": ErrorOut, "description": "The file is empty, or not of an accepted type (JPEG, PNG, "
                     "GIF, WebP, PDF, MP4, MOV, 3GP, WebM, M4A, MP3, OGG, WAV, AAC), recognised from its bytes."}},
)
def create_upload(
    ctx: WorkCasesApi,
    file: Annotated[UploadFile, File(description="The file (multipart/form-data field `file`).")],
) -> UploadOut:
    """Store a file for your workspace and return its id; attach it to a reply with `attachment_ids`. Each
    network accepts only some types, sizes and counts (checked when the reply is queued)."""
    settings = ctx.runtime.settings
    upload = upload_actions.store_upload(ctx.session, settings.data_dir, actor=ctx.user, name=file.filename,
                                         data=file.file.read(settings.max_upload_bytes + 1),
                                         max_bytes=settings.max_upload_bytes)
    return _out(upload)


@router.get("/uploads/{upload_id}", response_model=UploadOut, summary="Describe an upload",
            responses=errors(404, 422))
def read_upload(upload_id: UploadId, ctx: ReadCasesApi) -> UploadOut:
    """The file's name, recognised type, size and digest (404 for another workspace's file)."""
    return _out(get_upload(ctx.session, ctx.user.workspace_id, upload_id))


@router.get("/uploads/{upload_id}/content", summary="Download an upload", response_class=Response,
            responses={**errors(404, 422), 200: {"description": "The file's bytes, with its type.",
                                                 "content": {"application/octet-stream": {}}}})
def upload_content(upload_id: UploadId, ctx: ReadCasesApi, request: Request) -> Response:
    """The file's bytes (served as its recognised type with `X-Content-Type-Options: nosniff`)."""
    upload = get_upload(ctx.session, ctx.user.workspace_id, upload_id)
    return file_response(upload, stored_bytes(request, upload))
