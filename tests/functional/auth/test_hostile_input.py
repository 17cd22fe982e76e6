"""Whatever is typed into the login forms, the answer is a 4xx or a redirect, never a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD, post_form

ANY_TEXT = st.text(min_size=0, max_size=300)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(email=ANY_TEXT, password=ANY_TEXT)
def test_password_step_never_fails_with_500(app, make_user, email, password):
    client = app.test_client()
    response = post_form(client, "/auth/login", {"email": email, "password": password})
    assert response.status_code in (302, 400, 403, 429)


@SETTINGS
@given(code=st.one_of(ANY_TEXT, st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩ -", max_size=12)))
def test_code_step_never_fails_with_500(app, make_user, code):
    user = make_user(email=None)
    client = app.test_client()
    post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD})
    response = post_form(client, "/auth/second-factor", {"code": code})
    assert response.status_code in (302, 303, 400, 403)


@SETTINGS
@given(token=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"),
                     min_size=1, max_size=120))
def test_invitation_tokens_never_fail_with_500(client, token):
    assert client.get("/auth/invitation/" + token).status_code in (400, 404, 410)
