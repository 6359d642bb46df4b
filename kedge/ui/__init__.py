"""Kedge's web UI (the `ui` layer of the design's architecture section).

Server-rendered pages (Jinja2 templates in ``templates/``) with one small script that keeps
them live over the API's event stream, and one stylesheet; all shipped in the package, nothing
fetched from elsewhere. ``mount`` adds the pages to the server that ``kedge.api`` builds.
"""

from kedge.ui.pages import mount

__all__ = ["mount"]
