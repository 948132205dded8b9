"""DRF authentication by `Authorization: Bearer <access JWT>`."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.selectors import user_get_active
from accounts.tokens import TokenError, access_token_verify
from numerai.context import user_id_var
from numerai.errors import NotAuthenticated

KEYWORD = b"bearer"


class JWTAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        user_id_var.set(None)
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected 'Bearer <token>'.", code="unauthorized"
            )
        try:
            raw = header[1].decode("ascii")
            claims = access_token_verify(raw)
            user = user_get_active(user_id=claims.user_id, issued_at=claims.iat)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.", code="unauthorized") from exc
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from exc
        except NotAuthenticated as exc:
            raise exceptions.AuthenticationFailed(exc.message, code="unauthorized") from exc
        user_id_var.set(str(user.pk))
        return user, claims

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'
