"""`POST /api/notify`: the release workflow's signed "a catalog was published" (see
trust/notice.py). The replica that takes it refreshes before answering and announces it to every
other replica (PostgreSQL NOTIFY); a proxy without `notify_secret` has no such route (404)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from skillport_build.errors import SignatureError
from skillport_build.proxy.db.notify import announce
from skillport_build.proxy.guard import address, audit_refusal, limit, proxy_of
from skillport_build.trust.notice import HEADER, verify_notice


async def notify(request: Request) -> JSONResponse:
    """Take a signed publish notice: refresh now, and wake every replica."""
    proxy = proxy_of(request)
    secret = proxy.config.notify_secret
    if not secret:
        raise HTTPException(404, "not found")
    limit(request, address(request))
    body = await request.body()
    state, window = proxy.state, float(proxy.config.notify_window)
    try:
        signature = verify_notice(secret.encode(), body, request.headers.get(HEADER), state.clock(), window)
    except SignatureError as exc:
        audit_refusal(request, state, request.app.state.refusals, f"publish notice: {exc}")
        raise HTTPException(401, str(exc)) from exc
    if not await run_in_threadpool(state.take_notice, signature, 2 * window):
        raise HTTPException(409, "this notice was taken already (a replay); sign a new one")
    await run_in_threadpool(proxy.refresh)
    await run_in_threadpool(announce, state.engine)
    served = proxy.live.health().catalog_version
    state.audit("catalog.notice", None, {"catalog_version": served})
    return JSONResponse({"catalog_version": served}, 202)


ROUTES = [Route("/api/notify", notify, methods=["POST"])]
