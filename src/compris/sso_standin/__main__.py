"""``python -m compris.sso_standin``: the stand-in OpenID Connect provider on a local port, to try single sign-on
(``docs/administration.md`` → *Single sign-on* → *Trying it locally*)."""

from __future__ import annotations

import argparse
import threading

from compris.sso_standin import Person, StandInProvider


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compris.sso_standin", description=__doc__)
    parser.add_argument("--port", type=int, default=9400)
    parser.add_argument("--client-id", default="compris")
    parser.add_argument("--client-secret", default="standin-secret")
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:8000/sso/callback",
                        help="the one redirect URI registered (<COMPRIS_BASE_URL>/sso/callback)")
    parser.add_argument("--email", default="", help="sign this person in at once (default: a form asks)")
    parser.add_argument("--name", default="")
    parser.add_argument("--unverified", action="store_true", help="say the --email is not verified")
    args = parser.parse_args(argv)
    person = Person(email=args.email, name=args.name, email_verified=not args.unverified) if args.email else None
    provider = StandInProvider(client_id=args.client_id, client_secret=args.client_secret,
                               redirect_uris=(args.redirect_uri,), person=person, port=args.port)
    provider.start()
    print(f"Stand-in OpenID Connect provider at {provider.issuer} (Ctrl-C stops it). Start Compris with:\n"
          f"  COMPRIS_OIDC_ISSUER={provider.issuer} COMPRIS_OIDC_CLIENT_ID={args.client_id} "
          f"COMPRIS_OIDC_CLIENT_SECRET={args.client_secret} COMPRIS_OIDC_NAME=Stand-in "
          "COMPRIS_ALLOW_LOCAL_HTTP_ENDPOINTS=1", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
