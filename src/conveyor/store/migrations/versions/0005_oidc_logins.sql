-- Revision 0005: pending OpenID Connect sign-ins (state, nonce, PKCE verifier), single use and
-- short-lived. Backward compatible (a new table).
CREATE TABLE conveyor.oidc_logins (
    state         text PRIMARY KEY,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    next_path     text NOT NULL,
    expires_at    timestamptz NOT NULL
);
