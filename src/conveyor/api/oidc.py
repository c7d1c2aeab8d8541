"""OpenID Connect sign-in (authorization code flow with PKCE, state and nonce).

Configured with ``CONVEYOR_OIDC_ISSUER``, ``CONVEYOR_OIDC_CLIENT_ID``,
``CONVEYOR_OIDC_CLIENT_SECRET`` and ``CONVEYOR_OIDC_REDIRECT_URL``. The issuer is trusted
configuration (an admin chose it), so its discovery, token and key endpoints are called
directly, not through the outbound guard meant for user-supplied URLs.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from conveyor.engine.storable import storable_text
from conveyor.settings import Settings


class OidcError(Exception):
    """The sign-in cannot complete; the message is safe to show."""


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str
    authorize_url: str


@dataclass(frozen=True)
class OidcClient:
    issuer: str
    client_id: str
    client_secret: str
    redirect_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcClient | None:
        if not settings.oidc_issuer:
            return None
        # Settings guarantees the client id and redirect URL whenever an issuer is set.
        return cls(
            settings.oidc_issuer.rstrip("/"),
            settings.oidc_client_id or "",
            settings.oidc_client_secret or "",
            settings.oidc_redirect_url or "",
        )

    async def _metadata(self, http: httpx.AsyncClient) -> dict[str, Any]:
        response = await http.get(f"{self.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        metadata: dict[str, Any] = response.json()
        if metadata.get("issuer", "").rstrip("/") != self.issuer:
            raise OidcError("the identity provider's discovery document names another issuer")
        return metadata

    async def begin(self) -> PendingLogin:
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        async with httpx.AsyncClient(timeout=10) as http:
            metadata = await self._metadata(http)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_url,
                "scope": "openid email profile",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return PendingLogin(state, nonce, verifier, f"{metadata['authorization_endpoint']}?{query}")

    async def finish(self, code: str, *, nonce: str, code_verifier: str) -> dict[str, Any]:
        """Exchange the code and return the verified ID token's claims."""
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                metadata = await self._metadata(http)
                token_response = await http.post(
                    metadata["token_endpoint"],
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": self.redirect_url,
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                        "code_verifier": code_verifier,
                    },
                )
                if token_response.status_code != 200:
                    raise OidcError("the identity provider refused the authorization code")
                keys = (await http.get(metadata["jwks_uri"])).json()
        except httpx.HTTPError as exc:
            raise OidcError(f"the identity provider is unreachable: {exc}") from None
        id_token = token_response.json().get("id_token")
        if not id_token:
            raise OidcError("the identity provider returned no ID token")
        try:
            token = jwt.decode(id_token, KeySet.import_key_set(keys))
            jwt.JWTClaimsRegistry(
                now=int(time.time()),
                leeway=60,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"the ID token is not valid: {exc}") from None
        claims: dict[str, Any] = token.claims
        if not claims.get("email") or claims.get("email_verified") is False:
            raise OidcError("the identity provider did not vouch for an email address")
        for name in ("email", "name"):  # stored in conveyor.users: refuse what PostgreSQL would
            value = claims.get(name)
            if value is not None and not (isinstance(value, str) and storable_text(value)):
                raise OidcError(
                    f"the identity provider's {name} claim cannot be stored "
                    "(not text, or a NUL character or unpaired surrogate in it)"
                )
        return claims
