#!/bin/sh
# Builder-stage helper: run a command that downloads over TLS trusting, besides the system
# store, the CA of a TLS-intercepting proxy when one is given as the build secret `build_ca`
# (mounted at /run/secrets/build_ca for that RUN step only, never written to a layer).
#   with-build-ca CMD [ARGS...]
set -eu
secret=/run/secrets/build_ca
system=/etc/ssl/certs/ca-certificates.crt
if [ -s "$secret" ]; then
    bundle="$(mktemp /tmp/build-ca.XXXXXX)"
    trap 'rm -f "$bundle"' EXIT INT TERM
    cat "$system" "$secret" >"$bundle" 2>/dev/null || cat "$secret" >"$bundle"
    export SSL_CERT_FILE="$bundle" PIP_CERT="$bundle" REQUESTS_CA_BUNDLE="$bundle"
    # No exec: the trap removes the combined bundle before the layer is committed.
    "$@"
else
    exec "$@"
fi
