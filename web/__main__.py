"""`python -m web`: migrate, make sure someone can log in, and serve on http://127.0.0.1:8000."""

from __future__ import annotations

import argparse

from advisor.services.accounts import ensure_first_admin
from web import create_app
from web.extensions import services


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description="Run the Rollout Advisor site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    app = create_app()
    svc = services(app)
    password = ensure_first_admin(svc.store)
    print(f"Rollout Advisor on http://{args.host}:{args.port}/  (rulebook {svc.engine.rulebook.version})")
    if password:
        print(f"First start: log in as 'admin' with the password {password}")
        print("It is shown only this once; create more accounts with `advisor users create`.")
    else:
        print("Log in with your account; `advisor users list` shows the accounts.")
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
