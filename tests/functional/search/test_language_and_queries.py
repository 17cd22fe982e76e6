"""Stemming and accent folding in English, French and Spanish; the query language; and
every malformed query answered with a page that says what was ignored — never a 500."""

from __future__ import annotations

import re

import pytest

from coop_platform.documents.services.documents import DocumentInput, create_document
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db
from tests.support.builders import person
from tests.support.questionnaires import answer_required, save, seeded_questionnaire

COUNT = re.compile(r'class="result-count"[^>]*>(\d+) results?')
NOTICE = re.compile(r'<p class="notice" role="status">(.*?)</p>', re.S)


def _count(client, query: str, **params) -> int:
    page = client.get("/search", query_string={"q": query, **params})
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    match = COUNT.search(page.get_data(as_text=True))
    return int(match.group(1)) if match else 0


def _document(app, email: str, title: str, language: str, body: str = "Plain.") -> None:
    with app.app_context():
        owner = person(email)
        sink = UploadSink()
        sink(filename="text.txt")
        sink.write(body.encode())
        # A topic whose label ("Mutual legal assistance channels") no query below uses.
        create_document(owner, DocumentInput(title=title, language=language,
                                             topics=["mla_channels"]), sink)
        db.session.remove()


# (language, what the document says, a query in other inflections or without accents)
STEMMING = [
    ("en", "The assets were seized under a freezing order", "seizing asset"),
    ("en", "Confiscation of proceeds", "confiscations proceed"),
    ("fr", "Les saisies conservatoires des avoirs", "saisie conservatoire avoir"),
    ("fr", "Réquisitions du procureur à l’étranger", "requisition procureur etranger"),
    ("es", "Embargos preventivos de bienes", "embargo preventivo bien"),
    ("es", "La incautación de activos", "incautaciones activo"),
]


def test_stemming_and_accent_folding_per_language(app, logged_in, search_backend):
    client, user = logged_in("focal_point", "FRA")
    for i, (language, title, _query) in enumerate(STEMMING):
        _document(app, user.email, f"{title} (doc{i})", language)
    for i, (_language, _title, query) in enumerate(STEMMING):
        assert _count(client, query) >= 1, query
        assert _count(client, f"{query} doc{i}") == 1, query
    # An unstemmed language is still folded: accents and case never matter.
    _document(app, user.email, "Zurückgewinnung von Vermögenswerten", "other")
    assert _count(client, "zuruckgewinnung VERMOGENSWERTEN") == 1
    assert _count(client, "zuruckgewinnungen") == 0  # no stemmer for it


def test_a_french_reader_finds_an_answer_through_its_questions_french_label(
        app, logged_in, search_backend):
    qid = seeded_questionnaire(app)
    owner, _ = logged_in("focal_point", "BEL")
    answer_required(owner, qid)
    assert save(owner, qid, "B", {"B.5.value": "Procédure nationale en cours.",
                                  "B.5.language": "fr"}).status_code == 303
    # B.5 reads « Motifs pour lesquels l'exécution peut être refusée ou différée ».
    assert _count(owner, "motif execution differee") == 1
    assert _count(owner, "grounds refused postponed") == 1  # its English label
    assert _count(owner, "procedures nationales") == 1  # French stems of the answer


def test_query_language(app, logged_in, search_backend):
    client, user = logged_in("focal_point", "FRA")
    _document(app, user.email, "Freezing of bank accounts", "en")
    _document(app, user.email, "Freezing of real estate", "en")
    _document(app, user.email, "Bank secrecy and seizure", "en")
    assert _count(client, "freezing bank") == 1  # AND by default
    assert _count(client, "freezing AND bank") == 1
    assert _count(client, "freezing OR secrecy") == 3
    assert _count(client, "freezing NOT bank") == 1
    assert _count(client, "freezing -estate") == 1
    assert _count(client, '"bank accounts"') == 1
    assert _count(client, '"accounts bank"') == 0  # a phrase keeps its order
    assert _count(client, "(estate OR secrecy) bank") == 1
    assert _count(client, "secr*") == 1
    assert _count(client, "type:procedure freezing") == 2
    assert _count(client, "type:legislation freezing") == 0
    assert _count(client, "lang:fr") == 0
    assert _count(client, "state:FRA") == 3
    assert _count(client, "freezing", state="FRA") == 2
    assert _count(client, "group:WEOG freezing") == 2
    assert _count(client, "topic:mla_channels") == 3
    assert _count(client, "topic:freezing") == 0


def test_a_word_whose_letters_fold_to_a_quote_is_searched_not_injected(app, logged_in,
                                                                     search_backend):
    """U+02BC is a letter, so it stays inside a word, and folding turns it into an
    apostrophe: the query's tsquery then holds a quote, written into the statement."""
    client, user = logged_in("focal_point", "FRA")
    _document(app, user.email, "Procédure de Côte d\u02bcIvoire", "fr")
    _document(app, user.email, "Procédure du Sénégal", "fr")
    assert _count(client, "d\u02bcivoire") == 1
    assert _count(client, "d\u02bcivo*") == 1
    assert _count(client, "procedure") == 2


MALFORMED = [
    ('"unbalanced quote', "quotation mark"),
    ("*", "wildcard"),
    ("*zing", "wildcard"),
    ("fr*zing", "wildcard"),
    ("fr*", "at least 3 letters"),
    ("state:[a TO b]", "not a value"),
    ("acl:sec", "not a field"),
    ("owner:1 freezing", "not a field"),
    ("x" * 10_000, "cut to its first"),
    ("freezing\x07\x1b", "Control characters"),
    ("((freezing", "not closed"),
    ("freezing))", "without an opening"),
    ("OR", "OR needs"),
    ("group:ABC", "regional groups"),
]


@pytest.mark.parametrize(("query", "said"), MALFORMED)
def test_malformed_queries_say_what_was_ignored(app, logged_in, search_backend, query, said):
    client, user = logged_in("focal_point", "FRA")
    _document(app, user.email, "Freezing of bank accounts", "en")
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    notices = " ".join(NOTICE.findall(page.get_data(as_text=True)))
    assert said in notices, notices


@pytest.mark.parametrize("params", [
    {"page": "0"}, {"page": "100000000000000000000"}, {"page": "51"}, {"page": "x"},
    {"kind": "everything"}, {"order": "score"}, {"state": "<script>"}, {"group": "ZZZ"},
    {"question": "1=1"}, {"lang": "français"},
])
def test_bad_page_parameters_are_refused_with_a_message(app, logged_in, search_backend, params):
    client, _ = logged_in("focal_point", "FRA")
    page = client.get("/search", query_string={"q": "freezing", **params})
    assert page.status_code == 400
    assert "<script>" not in page.get_data(as_text=True)


def test_a_nul_in_the_query_is_refused_like_everywhere_else(app, logged_in, search_backend):
    client, _ = logged_in("focal_point", "FRA")
    page = client.get("/search", query_string={"q": "freezing\x00"})
    assert page.status_code == 400


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    page = client.get("/search?q=freezing")
    assert page.status_code in (302, 303)
    assert "/auth/login" in page.headers["Location"]


def test_snippets_are_escaped_text_with_only_marks_added(app, logged_in, search_backend):
    client, user = logged_in("focal_point", "FRA")
    with app.app_context():
        owner = person(user.email)
        sink = UploadSink()
        sink(filename="text.txt")
        sink.write(b"Plain.")
        create_document(owner, DocumentInput(
            title="Markup test", topics=["mla_channels"],
            summary='<script>alert("x")</script> <b>bold</b> escapeword & more'), sink)
        db.session.remove()
    page = client.get("/search", query_string={"q": "escapeword"}).get_data(as_text=True)
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert "<mark>escapeword</mark>" in snippet
    assert "&amp; more" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0
    if search_backend == "whoosh":
        assert "&lt;script&gt;" in snippet  # shown as text
    # (PostgreSQL's parser reads tag-like words as tags, which ts_headline leaves out.)


def test_a_hit_says_why_it_matched_with_the_questions_words_marked(app, logged_in,
                                                                   search_backend):
    qid = seeded_questionnaire(app)
    owner, _ = logged_in("focal_point", "BEL")
    answer_required(owner, qid)  # B.6 "Yes": "...Agreement on the Privileges and Immunities..."
    page = owner.get("/search", query_string={"q": "immunities", "kind": "answer"}).get_data(
        as_text=True)
    hit = page.split('<li class="hit">')[1].split("</li>")[0]
    assert "<mark>Immunities</mark>" in hit.split("</a>")[0]  # in the question's words
    assert "Found through the question's words; the answer:" in hit
    assert re.search(r'<p class="snippet">.*Yes</p>', hit, re.S)
    # A document's title, marked and still escaped.
    with app.app_context():
        sink = UploadSink()
        sink(filename="text.txt")
        sink.write(b"Plain.")
        create_document(person(owner.account.email), DocumentInput(
            title='<i>Titleword</i> & "co"', topics=["mla_channels"]), sink)
        db.session.remove()
    page = owner.get("/search", query_string={"q": "titleword"}).get_data(as_text=True)
    title = page.split('<li class="hit">')[1].split("</a>")[0]
    assert "&lt;i&gt;<mark>Titleword</mark>&lt;/i&gt; &amp; &#34;co&#34;" in title
