"""The one request path of the Brevo client: pacing, retries, error translation.

A call waits for its rate-limit bucket (see `pacing`), is sent, holding its
place in the bucket until its answer is in, and then:
a 429 closes the bucket until Brevo's reset and is sent again; a 5xx or a
transport failure is retried with backoff up to `max_retries` (calls that are
not idempotent only when Brevo certainly never received them); any other
failure becomes an error of the `tajo_assets.brevo.errors` tree, once, here.
Logs name the route template (`/contacts/{identifier}`), never the identifier.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from tajo_assets.brevo.errors import (
    BrevoAuthError,
    BrevoConfigurationError,
    BrevoError,
    BrevoNotFoundError,
    BrevoRateLimitError,
    BrevoRequestError,
    BrevoUnavailableError,
)
from tajo_assets.brevo.imports import encode_json
from tajo_assets.brevo.pacing import Pacer

log = logging.getLogger("tajo_assets.brevo")

DEFAULT_BASE_URL = "https://api.brevo.com/v3"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WHERE_KEYS_ARE = "Brevo: SMTP & API, API keys"


@dataclass(frozen=True)
class NotFound:
    """What a 404 means for one call (`subject`) and what to do about it (`fix`)."""

    subject: str
    fix: str


@dataclass
class _Attempts:
    """What one call has been through so far: failures, 429s, waiting."""

    failures: int = 0
    rate_limited: int = 0
    rate_limit_wait_s: float = 0.0


class BrevoTransport:
    """An httpx session with Brevo for one API key, paced and retried."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout_s: float,
        pacer: Pacer,
        max_retries: int,
        api_key_env: str,
    ) -> None:
        check_api_key(api_key, api_key_env)
        if timeout_s <= 0 or max_retries < 0:
            raise ValueError("timeout_s must be positive and max_retries at least 0")
        self.base_url = checked_url(base_url)
        self.pacer = pacer
        self.api_key_env = api_key_env
        self._api_key = api_key
        self._max_retries = max_retries
        # What this session put on the wire, retries included, for run metadata.
        self.requests_sent = 0
        self.bytes_sent = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"api-key": api_key, "accept": "application/json"},
            timeout=timeout_s,
        )
        # Files Brevo links to may live on another host: never send it the key.
        self._downloads = httpx.Client(timeout=timeout_s, follow_redirects=True)

    def close(self) -> None:
        self._http.close()
        self._downloads.close()

    def call(
        self,
        method: str,
        route: str,
        *,
        action: str,
        path_params: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        not_found: NotFound | None = None,
        idempotent: bool = True,
    ) -> Any:
        """Send one API call and return its JSON body (None when empty).

        `route` is the path template logs show; `path_params` fill it,
        URL-encoded. `body` is serialized, or `content` is sent as it is.
        `action` completes "Brevo refused to ..." in errors. Raises the
        `BrevoError` that fits the failure.
        """
        return self.exchange(
            method,
            route,
            action=action,
            path_params=path_params,
            params=params,
            body=body,
            content=content,
            not_found=not_found,
            idempotent=idempotent,
        )[1]

    def exchange(
        self,
        method: str,
        route: str,
        *,
        action: str,
        path_params: Mapping[str, str | int] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        not_found: NotFound | None = None,
        idempotent: bool = True,
    ) -> tuple[int, Any]:
        """`call`, returning the success status with the body, for routes whose
        2xx statuses differ in meaning (207 on a batch)."""
        encoded = {k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        path = route.format(**encoded)
        if body is not None:
            content = encode_json(body)
        response = self._send(method, route, path, params, content, idempotent)
        if response.status_code >= 400:
            raise self._refusal(response, action, not_found)
        return response.status_code, _json(response, action)

    def download(self, url: str) -> httpx.Response:
        """GET a file Brevo links to; the key goes only to the API's own origin.

        Not paced (files are not API calls) and not retried. Raises httpx errors
        and `BrevoConfigurationError` for a URL that is not https.
        """
        target = checked_url(url)
        own_origin = (target.scheme, target.netloc) == (
            self.base_url.scheme,
            self.base_url.netloc,
        )
        return (self._http if own_origin else self._downloads).get(target)

    def _send(
        self,
        method: str,
        route: str,
        path: str,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        idempotent: bool,
    ) -> httpx.Response:
        headers = {"content-type": "application/json"} if content is not None else None
        attempts = _Attempts()
        while True:
            try:
                with self.pacer.turn(path):
                    self.requests_sent += 1
                    self.bytes_sent += len(content or b"")
                    response = self._http.request(
                        method, path, params=params, content=content, headers=headers
                    )
            except httpx.TransportError as error:
                retry_is_safe = idempotent or _never_sent(error)
                self._back_off(method, route, attempts, retry_is_safe, error)
                continue
            self.pacer.observe(path, response.headers)
            if response.status_code == 429:
                self._hold_after_429(method, route, path, response, attempts)
            elif response.status_code >= 500:
                self._back_off(method, route, attempts, idempotent, response)
            else:
                return response

    def _hold_after_429(
        self,
        method: str,
        route: str,
        path: str,
        response: httpx.Response,
        attempts: _Attempts,
    ) -> None:
        """Close the bucket until Brevo's reset; the next turn waits it out."""
        hold_s = self.pacer.hold_after_rate_limit(
            path, response.headers, attempts.rate_limited
        )
        attempts.rate_limited += 1
        attempts.rate_limit_wait_s += hold_s
        if attempts.rate_limit_wait_s > self.pacer.max_wait_s:
            raise BrevoRateLimitError(
                f"Brevo answered 429 to {method} {route} {attempts.rate_limited} "
                f"times over {attempts.rate_limit_wait_s:.0f} s, longer than the "
                f"{self.pacer.max_wait_s:.0f} s allowed; another job may be "
                "spending the same API key's budget: rerun later",
                status=429,
            )
        log.warning(
            "Brevo %s %s answered 429 (rate limit); sending it again in %.1f s",
            method,
            route,
            hold_s,
        )

    def _back_off(
        self,
        method: str,
        route: str,
        attempts: _Attempts,
        retry_is_safe: bool,
        failure: httpx.Response | httpx.TransportError,
    ) -> None:
        """Sleep before retrying a failed call, or raise when retrying must stop."""
        what = _describe(failure)
        cause = failure if isinstance(failure, Exception) else None
        status = failure.status_code if isinstance(failure, httpx.Response) else None
        if not retry_is_safe:
            raise BrevoUnavailableError(
                f"Brevo {what} on {method} {route}, which is not retried because "
                "Brevo may have applied it: check the account, then rerun",
                status=status,
            ) from cause
        if attempts.failures >= self._max_retries:
            raise BrevoUnavailableError(
                f"Brevo {what} on {method} {route}, after {attempts.failures + 1} "
                "attempts; Brevo is down or unreachable from here: rerun later",
                status=status,
            ) from cause
        delay_s = self.pacer.backoff_s(attempts.failures)
        attempts.failures += 1
        log.warning(
            "Brevo %s on %s %s; retry %d of %d in %.1f s",
            what,
            method,
            route,
            attempts.failures,
            self._max_retries,
            delay_s,
        )
        self.pacer.sleep(delay_s)

    def _refusal(
        self, response: httpx.Response, action: str, not_found: NotFound | None
    ) -> BrevoError:
        """The error for a 4xx answer, with Brevo's words and what to do."""
        status = response.status_code
        code, message, metadata = self._error_body(response)
        said = f"{status} {code}: {message}" if code else f"{status}: {message}"
        facts = {"status": status, "code": code, "message": message}
        facts["metadata"] = metadata
        if status == 401:
            return BrevoAuthError(
                f"Brevo rejected the API key ({said}); check the key in "
                f"{self.api_key_env}: it must be an API v3 key of your Brevo "
                f"account ({WHERE_KEYS_ARE})",
                **facts,
            )
        if status == 403:
            return BrevoAuthError(
                f"Brevo refused to {action} with the API key from "
                f"{self.api_key_env} ({said}); give the key that permission, or "
                "authorise this machine's IP address in Brevo's security settings",
                **facts,
            )
        if status == 404:
            not_found = not_found or NotFound(f"Brevo could not {action}", "check it")
            return BrevoNotFoundError(
                f"{not_found.subject} ({said}); {not_found.fix}", **facts
            )
        detail = f"{said}; metadata {metadata}" if metadata else said
        return BrevoRequestError(
            f"Brevo refused to {action} ({detail}); {_request_fix(status)}", **facts
        )

    def _error_body(self, response: httpx.Response) -> tuple[str | None, str, dict]:
        """Brevo's error `code`, `message` and `metadata`, with the key masked."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            text = " ".join(response.text.split())[:200] or response.reason_phrase
            return None, self._masked(text), {}
        code = body.get("code")
        message = self._masked(str(body.get("message", response.reason_phrase)))
        metadata = body.get("metadata")
        return (
            self._masked(str(code)) if code is not None else None,
            message,
            metadata if isinstance(metadata, dict) else {},
        )

    def _masked(self, text: str) -> str:
        return text.replace(self._api_key, "<api key>")


def check_api_key(api_key: str, api_key_env: str) -> None:
    """Refuse a key that cannot be right before any call, naming its source."""
    if not api_key:
        raise BrevoAuthError(
            f"the Brevo API key in {api_key_env} is empty; set {api_key_env} to an "
            f"API v3 key of your Brevo account ({WHERE_KEYS_ARE})"
        )
    printable = api_key.isascii() and api_key.isprintable()
    if not printable or any(char.isspace() for char in api_key):
        raise BrevoAuthError(
            f"the Brevo API key in {api_key_env} contains spaces, line breaks or "
            f"non-ASCII characters; copy the key into {api_key_env} again, alone"
        )


def checked_url(url: str) -> httpx.URL:
    """`url` parsed; https anywhere, plain http only on this machine."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise BrevoConfigurationError(
            f"the Brevo URL {url!r} is not a URL ({error}); use {DEFAULT_BASE_URL}"
        ) from error
    if parsed.scheme == "https" and parsed.host:
        return parsed
    if parsed.scheme == "http" and parsed.host in LOOPBACK_HOSTS:
        return parsed
    raise BrevoConfigurationError(
        f"the Brevo URL {url!r} is not https; Brevo is reached over https "
        f"({DEFAULT_BASE_URL}), and plain http is accepted only for the local "
        "sandbox on 127.0.0.1 or localhost"
    )


def unexpected(action: str, what: str) -> BrevoError:
    """The error for an answer whose shape the client does not know."""
    return BrevoError(
        f"Brevo answered the call to {action} with {what}; the API may have "
        "changed: report it with this message"
    )


def _json(response: httpx.Response, action: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise unexpected(action, "a body that is not JSON") from error


def _describe(failure: httpx.Response | httpx.TransportError) -> str:
    if isinstance(failure, httpx.Response):
        return f"answered {failure.status_code}"
    return f"could not be reached ({type(failure).__name__})"


def _never_sent(error: httpx.TransportError) -> bool:
    """Whether the request certainly never reached Brevo, so resending is safe."""
    return isinstance(
        error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )


def _request_fix(status: int) -> str:
    if status == 402:
        return "the Brevo account lacks the credits or plan for this: check its plan"
    if status == 425:
        return "Brevo is still setting up the account: rerun later"
    return "the request or one of its values is wrong: correct it as Brevo says"
