"""HTTP 200 ``errors[]`` are returned beside the data as typed records, never raised."""

from http import HTTPStatus

from tests.xapi.fake_x import Canned, load_sample
from xapi import MetricGroup, OAuth2UserAuth, XClient
from xapi.parsing import parse_posts_response

ENDPOINT = "GET /2/tweets"


def parse(sample_name):
    return parse_posts_response(load_sample(sample_name)["body"], endpoint=ENDPOINT)


def test_field_authorization_errors_come_back_with_no_posts():
    page = parse("field_authorization_errors")

    assert page.posts == ()
    assert len(page.errors) == 15
    assert all(error.is_field_authorization_error for error in page.errors)
    first = page.errors[0]
    assert first.type_suffix == "not-authorized-for-field"
    assert first.title == "Field Authorization Error"
    assert first.resource_id == "1387820661742112771"
    assert first.field == "non_public_metrics.impression_count"
    assert first.parameter == "id"
    assert first.section == "data"
    assert first.detail.startswith("Sorry, you are not authorized")


def test_an_includes_field_error_sits_beside_the_data():
    page = parse("field_authorization_error_includes")

    (post,) = page.posts
    (error,) = page.errors
    assert post.referenced_posts[0].id == error.resource_id
    assert error.section == "includes"
    assert error.is_field_authorization_error


def test_not_found_and_resource_authorization_errors_are_told_apart():
    (not_found,) = parse("partial_not_found").errors
    (protected,) = parse("partial_not_authorized_for_resource").errors

    assert not_found.is_not_found and not not_found.is_field_authorization_error
    assert not_found.resource_id == "1508806917874978822"
    assert protected.is_resource_authorization_error and not protected.is_not_found


def test_problem_types_match_on_the_suffix_whatever_the_host():
    hosts = ["https://api.twitter.com", "https://api.x.com"]
    kinds = ["not-authorized-for-field", "field-unauthorized"]
    body = {"errors": [{"type": f"{host}/2/problems/{kind}"} for host in hosts for kind in kinds]}

    page = parse_posts_response(body, endpoint=ENDPOINT)

    assert all(error.is_field_authorization_error for error in page.errors)


def test_the_client_returns_partial_errors_instead_of_raising(fake_x, endpoints, http):
    sample = load_sample("field_authorization_errors")
    fake_x.on("GET /2/tweets", Canned(status=HTTPStatus.OK, body=sample["body"]))
    auth = OAuth2UserAuth(get_access_token=lambda: "access")

    with XClient(auth=auth, endpoints=endpoints, http=http) as client:
        page = client.lookup_posts(
            ids=["1387820661742112771"], metrics=MetricGroup.PUBLIC | MetricGroup.NON_PUBLIC
        )

    assert page.posts == ()
    assert len(page.errors) == 15
