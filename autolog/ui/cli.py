"""``autolog ui``: the command. Importing this module is cheap (click only); the server
(Starlette, uvicorn) is imported when the command runs."""

from __future__ import annotations

import click

from autolog.errors import AutologError
from autolog.redaction import redact

DEFAULT_PORT = 5050


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> list[str] | None:
    """The Host headers the server answers: the loopback names, plus ``host`` when it is a
    name or an address; None (any) when bound to every interface."""
    from autolog.ui.app import LOOPBACK_HOSTS

    if host in ("0.0.0.0", "::", "[::]", ""):
        return None
    return [*LOOPBACK_HOSTS, host]


@click.command("ui")
@click.option("--tracking-uri", "ui_tracking_uri", default=None,
              help="Store to show (default: autolog's --tracking-uri, AUTOLOG_TRACKING_URI, "
                   "else ./autolog-runs).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. The UI has no authentication: keep the default unless "
                   "every machine that can reach this address may see your runs.")
@click.option("--port", "-p", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Open the UI in a web browser.")
def ui(ui_tracking_uri: str | None, host: str, port: int, open_browser: bool) -> None:
    """Browse, search and compare runs in a web browser (read-only)."""
    try:
        import uvicorn

        from autolog.ui.app import create_app
    except ImportError as exc:
        raise click.ClickException(
            f'the UI needs the "ui" extra ({exc.name} is missing): '
            'pip install "autolog[ui]"') from None
    from autolog.tracking import fluent

    uri = ui_tracking_uri or fluent.get_tracking_uri()
    _require_store(uri)
    if not is_loopback(host):
        click.echo(f"Warning: the UI has no authentication and is bound to {host}: anyone "
                   "who can reach this address can read every run, parameter and artifact "
                   "of the store.", err=True)
    app = create_app(uri, allowed_hosts(host))
    click.echo("reading the runs of the most recent experiments...", err=True)
    try:
        app.state.store.warm()  # before serving: the first page opened is already fast
    except AutologError as exc:
        click.echo(f"Warning: {redact(str(exc))}", err=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else shown}:{port}/"
    click.echo(f"autolog UI for {redact(uri)} at {url} (Ctrl+C to stop)", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _require_store(uri: str) -> None:
    """Never create a store by looking at it: a local path must hold an autolog store."""
    import os

    from autolog import backends

    if backends.scheme_of(uri) != "file":
        return  # a remote store that does not answer shows its error on each page
    from autolog.backends.local import DB_NAME, path_of

    root = path_of(uri)
    if not os.path.isfile(os.path.join(root, DB_NAME)):
        raise click.ClickException(
            f"no autolog store at {root}; point --tracking-uri or AUTOLOG_TRACKING_URI at a "
            "folder that autolog has logged into")
