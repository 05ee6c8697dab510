"""The production environment the README documents passes `manage.py check --deploy` with no warnings, and
the security headers are on the responses they belong to."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from councils.choices import Role
from tests.factories import client_for, make_user

ROOT = Path(__file__).resolve().parents[2]


def readme_production_env() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n# production\.env\n(.*?)```", readme, flags=re.S)
    assert block, "README.md documents the production environment in a '# production.env' block"
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if line and not line.startswith("#"))


def test_check_deploy_is_clean_with_the_production_environment_in_the_readme(tmp_path):
    production = readme_production_env()
    assert production["DEBUG"] == "false"
    # Only the documented variables (and what a process needs to run): nothing from this machine's environment.
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **production}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.django_db
def test_every_page_has_a_strict_content_security_policy_and_a_permissions_policy(client):
    response = client.get(reverse("pipeline:funded"))
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_signed_in_pages_and_token_api_responses_are_private_and_vary_by_cookie_and_authorization():
    staff = make_user(role=Role.PROGRAMME_STAFF)
    client = client_for(staff)
    for url in (reverse("pipeline:dashboard"), reverse("notifications:list"), reverse("bids:list")):
        response = client.get(url)
        assert response.status_code == 200
        assert {part.strip() for part in response["Cache-Control"].split(",")} >= {"private", "no-store"}
        assert {"Cookie", "Authorization"} <= {part.strip() for part in response["Vary"].split(",")}

    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=staff)
    api = Client().get(reverse("pipeline:api-round-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.status_code == 200
    assert {part.strip() for part in api["Cache-Control"].split(",")} >= {"private", "no-store"}
    assert {"Cookie", "Authorization"} <= {part.strip() for part in api["Vary"].split(",")}


@pytest.mark.django_db
def test_public_pages_are_not_marked_private(client):
    response = client.get(reverse("pipeline:funded"))
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Cookie" in response["Vary"]


def test_the_production_server_names_no_version():
    import gunicorn

    assert not re.search(r"\d", gunicorn.SERVER), "gunicorn's Server header"


def test_gunicorn_serves_pages_with_the_policies_and_no_server_version(tmp_path):
    """The production server itself: its Server header names no version, and the headers reach the browser."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        # Production refuses to start without a secret key of its own.
        "SECRET_KEY": "a-secret-key-for-this-test-only-0123456789-abcdefghijklmnopqrstuvwxyz",
    }
    server = subprocess.Popen(  # noqa: S603 - this interpreter running gunicorn with fixed arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accessibility/", timeout=5) as response:
                    headers = response.headers
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert headers["Server"] == "gunicorn"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
