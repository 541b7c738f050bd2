"""`python -m web` (`make dev`): Flask's development server on http://127.0.0.1:8000, for working
on the site; `--reload` restarts it when a source file changes. `make run` serves with gunicorn,
as the image does."""

from __future__ import annotations

import argparse
from typing import Any

from werkzeug.serving import is_running_from_reloader, run_simple

from advisor.services.accounts import ensure_first_admin
from web import create_app
from web.extensions import services


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description="Run the Rollout Advisor site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reload", action="store_true", help="restart when a source file changes")
    args = parser.parse_args()
    if args.reload and not is_running_from_reloader():
        # This process only watches the source files and restarts the serving process (a child
        # that runs main() again and opens the site); it never serves, so it opens nothing.
        run_simple(args.host, args.port, _never_called, use_reloader=True, threaded=True)
        return
    app = create_app()
    app.config["TEMPLATES_AUTO_RELOAD"] = args.reload
    svc = services(app)
    password = ensure_first_admin(svc.store)
    print(f"Rollout Advisor on http://{args.host}:{args.port}/  (rulebook {svc.engine.rulebook.version})")
    if password:
        print(f"First start: log in as 'admin' with the password {password}")
        print("It is shown only this once; create more accounts with `advisor users create`.")
    else:
        print("Log in with your account; `advisor users list` shows the accounts.")
    print("This is the development server; `make run` serves with gunicorn, as in production.")
    run_simple(args.host, args.port, app, use_reloader=args.reload, threaded=True)


def _never_called(environ: Any, start_response: Any) -> list[bytes]:
    raise AssertionError("the reloader's watching process does not serve")


if __name__ == "__main__":
    main()
