"""One table from errors to HTTP answers: a page for people, JSON for the API.

Messages are the package's own (never copied from a document), so no patient data
reaches a page or a log through an error.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from phr_share.errors import (
    AccessDenied,
    InvalidInput,
    InvalidReadings,
    InvalidState,
    KAnonymityNotReached,
    NotFound,
    PhrShareError,
    TooManyAttempts,
    Unauthenticated,
)
from phr_share.models import Reason
from phr_share.web.observability import route_template
from phr_share.web.security import safe_next

__all__ = ["install", "wants_json"]

log = logging.getLogger("phr_share.web")
_KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate"})


def wants_json() -> bool:
    """True for the API and for clients that ask for JSON."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(
    status: int, code: str, message: str, **extra: object
) -> BaseResponse | tuple[str, int]:
    if wants_json():
        body = {"error": {"code": code, "message": message, **extra}}
        response: Response = jsonify(body)
        response.status_code = status
        return response
    return render_template("error.html", status=status, code=code, message=message), status


# A mistake on a form goes back to the form's page, said there, with what was typed.
_SAID_ON_THE_FORM = (InvalidInput, InvalidState, NotFound, AccessDenied, KAnonymityNotReached)
# Never carried back in the cookie: secrets, and long free text.
_NOT_REFILLED = ("password", "confirm", "current", "new", "csrf_token", "code", "token")
_REFILL_CHARS = 1500


def _back_to_form(error: PhrShareError) -> BaseResponse | None:
    """For a form posted from one of our pages: back to that page with the error beside
    the form and its fields as they were typed; None when there is no such page."""
    if request.method != "POST" or wants_json() or not isinstance(error, _SAID_ON_THE_FORM):
        return None
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    page = safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    if page is None:
        return None
    typed = {
        name: value
        for name, value in request.form.items()
        if name not in _NOT_REFILLED and len(value) <= 200
    }
    if sum(len(k) + len(v) for k, v in typed.items()) > _REFILL_CHARS:
        typed = {}
    session["refill"] = {"action": request.path, "fields": typed}
    message = error.message[:1].upper() + error.message[1:]
    flash(message if message.endswith(".") else f"{message}.", "error")
    log.info("%s %s -> back to the form %s", request.method, route_template(), error.code)
    return redirect(page)


def _domain(error: PhrShareError) -> BaseResponse | tuple[str, int]:
    back = _back_to_form(error)
    if back is not None:
        return back
    if isinstance(error, Unauthenticated) and not wants_json():
        return redirect(url_for("auth.login", next=request.path))
    needs_mfa = isinstance(error, AccessDenied) and error.reason is Reason.MFA_REQUIRED
    if needs_mfa and not wants_json():  # to the one page such an account may open
        return redirect(url_for("mfa.setup"))
    if isinstance(error, TooManyAttempts):
        response = make_response(_answer(error.http_status, error.code, error.message))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    extra: dict[str, object] = {}
    if isinstance(error, AccessDenied):
        extra["reason"] = error.reason
    if isinstance(error, InvalidReadings):
        extra["fields"] = dict(error.fields)
    # Codes and route templates only: the path (which may hold a patient id), the query,
    # the request body and the message's subject stay out of logs.
    log.info("%s %s -> %s %s", request.method, route_template(), error.http_status, error.code)
    return _answer(error.http_status, error.code, error.message, **extra)


def _http(error: HTTPException) -> BaseResponse | tuple[str, int]:
    status = error.code or 500
    code = {
        400: "bad-request",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        429: "too-many-requests",
    }.get(status, "http-error")
    message = {
        413: "the upload is larger than the limit",
        404: "there is nothing here",
    }.get(status, error.description or "the request was refused")
    answer = _answer(status, code, message)
    # What the exception says beside its body (Allow on a 405, Retry-After on a 429).
    kept = [(k, v) for k, v in error.get_headers() if k.lower() in _KEPT_HEADERS]
    if isinstance(answer, tuple):
        return BaseResponse(answer[0], answer[1], kept, mimetype="text/html")
    answer.headers.extend(kept)
    return answer


def _unexpected(error: Exception) -> BaseResponse | tuple[str, int]:
    log.error("%s %s -> 500 %s", request.method, route_template(), type(error).__name__)
    return _answer(500, "internal", "something went wrong on our side; nothing was changed")


def install(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(PhrShareError, _domain)
    app.register_error_handler(HTTPException, _http)
    if not app.testing:
        app.register_error_handler(Exception, _unexpected)
