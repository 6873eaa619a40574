"""The public survey page (/s/<token>): no login, the brand and the question in the customer's language, the
rating recorded once whatever happens (the link opened twice, a scanner's GET, the form sent twice), the comment,
expired and forged links, the anti-forgery token, the rate limit and the headers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from compris.config import Settings
from compris.models import CaseEvent, SurveySettings, SurveyState
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.web.pages import survey_page
from tests.conftest import World
from tests.replies.helpers import session_of
from tests.surveys.results_world import a_case, add_survey, link, survey


@pytest.fixture
def client(settings: Settings, runtime: Runtime) -> TestClient:
    return TestClient(create_app(settings, runtime, workers=0))


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _answered_events(world: World) -> int:
    with session_of(world) as s:
        return len(s.scalars(select(CaseEvent).where(CaseEvent.workspace_id == world.workspace_id,
                                                     CaseEvent.kind == "survey_answered")).all())


def test_the_page_in_french_rates_then_comments_then_thanks(world: World, client: TestClient) -> None:
    sid = add_survey(world, a_case(world), language="fr")
    path = link(world, sid)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in page.headers["x-robots-tag"]
    assert page.headers["cache-control"] == "no-store"
    assert "compris_session" not in page.headers.get("set-cookie", "")  # no session for the customer
    html = page.text
    assert '<html lang="fr">' in html and "Acme" in html  # the brand: the workspace's name
    assert "Êtes-vous satisfait(e)" in html and "Envoyer" in html
    assert html.count('type="radio" name="rating"') == 5 and "data-auto" not in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP holds

    done = client.post(path, data={"csrf_token": _csrf(html), "rating": "4"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == path
    thanks = client.get(path).text
    assert "Merci pour votre note" in thanks and "4 sur 5" in thanks and 'name="comment"' in thanks
    row = survey(world, sid)
    assert (row.rating, row.score, row.state, row.answered_via) == (4, 75, SurveyState.ANSWERED, "link")

    client.post(path, data={"csrf_token": _csrf(thanks), "comment": "Rapide <b>et</b> gentil"})
    final = client.get(path).text
    assert "Merci !" in final and 'name="comment"' not in final
    assert "Rapide &lt;b&gt;et&lt;/b&gt; gentil" in final and "<b>et</b>" not in final  # escaped
    assert survey(world, sid).comment == "Rapide <b>et</b> gentil"


def test_rating_and_comment_in_one_post_and_the_question_of_the_settings(world: World, client: TestClient) -> None:
    with session_of(world) as s:
        s.add(SurveySettings(workspace_id=world.workspace_id, questions={"en": "Did Acme Air get it right?"},
                             comment_questions={"en": "What should we improve?"}))
    sid = add_survey(world, a_case(world), language="en")
    path = link(world, sid)
    html = client.get(path).text
    assert "Did Acme Air get it right?" in html and "What should we improve?" in html
    client.post(path, data={"csrf_token": _csrf(html), "rating": "2", "comment": "Too slow"})
    row = survey(world, sid)
    assert (row.rating, row.comment) == (2, "Too slow")
    assert "Thank you!" in client.get(path).text


def test_faces_scale(world: World, client: TestClient) -> None:
    sid = add_survey(world, a_case(world), scale="faces5")
    html = client.get(link(world, sid)).text
    assert "rating-faces5" in html and "😄" in html and "😞" in html


def test_one_click_link_never_records_on_get_and_counts_once(world: World, client: TestClient) -> None:
    sid = add_survey(world, a_case(world))
    one_click = link(world, sid, rating=5)
    for _ in range(3):  # a link scanner, the customer's preview, the customer: GET records nothing
        html = client.get(one_click).text
        assert survey(world, sid).rating is None
    assert 'data-auto="1"' in html and 'value="5" id="rating-5" checked' in html  # the script sends it once shown
    form = _csrf(html)
    assert client.post(one_click, data={"csrf_token": form, "rating": "5"}).status_code == 200
    assert client.post(one_click, data={"csrf_token": form, "rating": "5"}).status_code == 200  # sent twice
    other = link(world, sid, rating=1)  # another rating link of the same e-mail, clicked later
    assert client.post(other, data={"csrf_token": form, "rating": "1"}).status_code == 200
    row = survey(world, sid)
    assert (row.rating, row.answered_via) == (5, "email")
    assert _answered_events(world) == 1
    again = client.get(other).text  # already answered: the recorded answer, no auto-send
    assert "data-auto" not in again and "5 out of 5" in again


def test_already_answered_on_the_channel_still_takes_a_comment(world: World, client: TestClient) -> None:
    sid = add_survey(world, a_case(world), rating=3)
    path = link(world, sid)
    html = client.get(path).text
    assert "3 out of 5" in html and 'name="comment"' in html and 'name="rating"' not in html
    client.post(path, data={"csrf_token": _csrf(html), "rating": "5", "comment": "OK in the end"})
    row = survey(world, sid)
    assert (row.rating, row.comment, row.answered_via) == (3, "OK in the end", "button")  # the rating stands
    client.post(path, data={"csrf_token": _csrf(html), "comment": "A second comment"})
    assert survey(world, sid).comment == "OK in the end"  # once


def test_a_missing_or_outside_rating_is_refused(world: World, client: TestClient) -> None:
    sid = add_survey(world, a_case(world))
    path = link(world, sid)
    form = _csrf(client.get(path).text)
    for value in ("", "0", "6", "x", "-1"):
        response = client.post(path, data={"csrf_token": form, "rating": value, "comment": "kept"})
        assert response.status_code == 422, value
        assert "Choose a rating first." in response.text and "kept" in response.text
    assert survey(world, sid).rating is None


def test_expired_tampered_and_other_workspace_links(world: World, client: TestClient,
                                                    world_factory: Callable[[str], World]) -> None:
    sid = add_survey(world, a_case(world), language="fr")
    old = link(world, sid, days=1, at=datetime.now(UTC) - timedelta(days=3))
    expired = client.get(old, headers={"accept-language": "fr"})
    assert expired.status_code == 410 and "expiré" in expired.text
    assert expired.headers["referrer-policy"] == "no-referrer"
    assert client.post(old, data={"rating": "5"}).status_code == 410

    good = link(world, sid)
    body, _, signature = good.removeprefix("/s/").partition(".")
    forged = f"/s/{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"
    assert client.get(forged).status_code == 404
    assert client.get("/s/nonsense").status_code == 404
    assert client.get(f"/s/{body}.{signature[::-1]}").status_code == 404

    other = world_factory("globex")
    theirs = add_survey(other, a_case(other))
    crossed = link(world, theirs, workspace_id=world.workspace_id)  # a valid signature naming acme + their id
    assert client.get(crossed).status_code == 404
    assert client.post(crossed, data={"rating": "5"}).status_code == 404
    assert survey(other, theirs).rating is None


def test_a_survey_never_sent_has_no_page(world: World, client: TestClient) -> None:
    case_id = a_case(world)
    for state in (SurveyState.SCHEDULED, SurveyState.SKIPPED, SurveyState.CANCELLED):
        sid = add_survey(world, case_id, state=state)
        assert client.get(link(world, sid)).status_code == 404


def test_the_form_token_is_required_and_tied_to_the_survey(world: World, client: TestClient) -> None:
    case_id = a_case(world)
    first, second = add_survey(world, case_id), add_survey(world, case_id)
    other_form = _csrf(client.get(link(world, second)).text)
    path = link(world, first)
    assert client.post(path, data={"rating": "5"}).status_code == 403
    assert client.post(path, data={"csrf_token": other_form, "rating": "5"}).status_code == 403
    assert survey(world, first).rating is None


def test_posts_are_rate_limited_per_link(world: World, client: TestClient) -> None:
    case_id = a_case(world)
    sid, other = add_survey(world, case_id), add_survey(world, case_id)
    path = link(world, sid)
    form = _csrf(client.get(path).text)
    codes = [client.post(path, data={"csrf_token": form, "rating": "9"}).status_code
             for _ in range(survey_page.RATE_LIMIT + 1)]
    assert codes[:-1] == [422] * survey_page.RATE_LIMIT and codes[-1] == 429
    other_path = link(world, other)  # another survey is not affected
    assert client.post(other_path, data={"csrf_token": _csrf(client.get(other_path).text),
                                         "rating": "4"}).status_code == 200


def test_the_question_in_any_language_of_the_settings(world: World, client: TestClient) -> None:
    with session_of(world) as s:
        s.add(SurveySettings(workspace_id=world.workspace_id, channel_account_id=world.account.id,
                             questions={"de": "Wie zufrieden waren Sie?", "en": "How did we do?"}))
        s.add(SurveySettings(workspace_id=world.workspace_id, questions={"en": "Workspace question"}))
    case_id = a_case(world)
    german = client.get(link(world, add_survey(world, case_id, language="de-AT"))).text
    assert "Wie zufrieden waren Sie?" in german and "Send" in german  # the page's own words: English
    french = client.get(link(world, add_survey(world, case_id, language="fr"))).text
    assert "How did we do?" in french and "Envoyer" in french  # no French question: the account's English one
    elsewhere = add_survey(world, case_id, language="en", channel_account_id=None)
    assert "Workspace question" in client.get(link(world, elsewhere)).text
