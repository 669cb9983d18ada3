"""Errors the API answers with, shaped as OpenAI's: ``{"error": {"message", "type",
"param", "code"}}``, so a client shows the message as it shows OpenAI's."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.code, self.param = status, kind, code, param

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": str(self),
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }
        headers = {"Retry-After": "5"} if self.status in (429, 503) else {}
        if self.status == 413:  # the rest of the body is not read: the connection ends
            headers["Connection"] = "close"
        return JSONResponse(body, status_code=self.status, headers=headers)


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """A 400: the request itself is wrong."""
    return ApiError(400, message, "invalid_request_error", code, param)
