"""The site's icon: linked from every page, and answered at /favicon.ico for whoever asks there."""

from __future__ import annotations

import re

from tests.web.conftest import Browser

ICON = "/static/favicon.svg"


def test_favicon_ico_answers_with_the_icon_the_pages_link(site: Browser) -> None:
    # Both are files sent as streams: closed once read (the test client leaves them open).
    with site.client.get(ICON) as icon, site.client.get("/favicon.ico") as response:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.data
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.data == icon.data


def test_every_page_links_the_icon(anna: Browser) -> None:
    for path in ("/login", "/", "/assessments/import", "/account/tokens", "/api/docs"):
        page = anna.client.get(path).get_data(as_text=True)
        links = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        assert links == [ICON], path
