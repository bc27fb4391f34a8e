"""Profile images: `profile_image_url` points at an avatar the sandbox serves on its own origin."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import requests

from sandbox.avatars import avatar_svg
from tests.sandbox.flows import BRAND, SMALL, bearer

SVG = "{http://www.w3.org/2000/svg}"


def _image_url(sandbox, username, base_url=None):
    headers = bearer(sandbox.mint_token(username))
    if base_url is not None:
        headers["Host"] = urlsplit(base_url).netloc
    answer = requests.get(
        sandbox.url("/2/users/me"), params={"user.fields": "profile_image_url"}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["profile_image_url"]


def test_profile_image_url_is_on_the_sandboxs_own_origin_in_xs_normal_shape(sandbox_clean):
    user = sandbox_clean.user(BRAND)
    url = _image_url(sandbox_clean, BRAND)
    base = sandbox_clean.base_url
    assert url == f"{base}/_sandbox/profile_images/{user['id']}/{BRAND}_normal.svg"


def test_profile_image_url_follows_the_host_the_client_addressed(sandbox_clean):
    port = urlsplit(sandbox_clean.base_url).port
    url = _image_url(sandbox_clean, BRAND, base_url=f"http://localhost:{port}")
    assert url.startswith(f"http://localhost:{port}/_sandbox/profile_images/")


def test_the_profile_image_is_a_48px_svg_with_cache_and_nosniff_headers(sandbox_clean):
    answer = requests.get(_image_url(sandbox_clean, BRAND))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/svg+xml"
    assert answer.headers["Cache-Control"] == "public, max-age=86400"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(answer.content)
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("48", "48")
    assert root.find(f"{SVG}text").text == "Q"  # initial of "Quartile"


def test_avatars_are_deterministic_and_differ_between_users(sandbox_clean):
    brand_url, small_url = _image_url(sandbox_clean, BRAND), _image_url(sandbox_clean, SMALL)
    first, again = requests.get(brand_url).content, requests.get(brand_url).content
    assert first == again
    fill = ET.fromstring(first).find(f"{SVG}rect").get("fill")
    other = ET.fromstring(requests.get(small_url).content).find(f"{SVG}rect").get("fill")
    assert fill != other


def test_an_unknown_user_or_file_name_answers_404(sandbox_clean):
    user = sandbox_clean.user(BRAND)
    for path in (
        f"/_sandbox/profile_images/1/{BRAND}_normal.svg",  # no such user id
        f"/_sandbox/profile_images/{user['id']}/{SMALL}_normal.svg",  # someone else's name
        f"/_sandbox/profile_images/{user['id']}/{BRAND}_normal.png",
    ):
        answer = requests.get(sandbox_clean.url(path))
        assert answer.status_code == 404, path
        assert answer.json() == {"error": f"no profile image {path}"}


def test_the_svg_escapes_the_name_and_initial():
    # Handles are [A-Za-z0-9_] (the control API refuses others) and every display name the sandbox
    # can produce is plain, so XML-special characters can only be tested on the function itself.
    name = '<b>&"Tom\'s"</b>'
    markup = avatar_svg("tom_1", name)
    assert "<b>" not in markup
    root = ET.fromstring(markup)
    assert root.find(f"{SVG}title").text == f"{name} (@tom_1)"
    assert root.find(f"{SVG}text").text == "<"
