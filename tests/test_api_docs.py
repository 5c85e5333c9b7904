"""/api/docs/: the OpenAPI schema in the browser with the vendored Swagger UI (no CDN)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "swagger-ui"


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_ui_from_the_portals_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts == [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/api-docs/init.js",
    ]
    assert "<script>" not in html  # no inline script
    assert 'data-schema-url="/api/schema/"' in html
    assert "https://" not in html and "http://" not in html  # nothing from elsewhere
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_swagger_ui_is_vendored_with_its_licence():
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert finders.find(f"vendor/swagger-ui/{name}")
        assert "sourceMappingURL" not in (VENDOR / name).read_text(encoding="utf-8")
    assert "Apache License" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert "5.35.0" in (VENDOR / "README.md").read_text(encoding="utf-8")


@pytest.mark.django_db
def test_the_schema_itself_stays_at_api_schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
