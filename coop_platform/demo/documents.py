"""Demo documents: a few realistic procedures in different states of the lifecycle, so that a
newcomer sees lists, sharing and moderation at work. Written for the demo; no real content."""

from __future__ import annotations

from sqlalchemy import func, select

from coop_platform.auth.models import User
from coop_platform.demo.people import demo_person
from coop_platform.documents.models import Document
from coop_platform.documents.services import revisions
from coop_platform.documents.services.documents import DocumentInput, create_document, transition
from coop_platform.documents.services.uploads import UploadSink
from coop_platform.extensions import db

# (owner e-mail local part, input, text, final status)
DEMO_DOCUMENTS = [
    ("focal.fra", DocumentInput(
        title="Executing a Court request to freeze assets: step-by-step procedure",
        summary="Who receives the request, which judge orders the freeze, time limits and the "
                "urgency route used before the full request arrives.",
        document_type="procedure", topics=["freezing", "identification"], language="en",
        classification="restricted", audience="all_states", share_with_court=True),
     "1. The central authority registers the request and checks the annexes.\n"
     "2. The prosecutor seizes the investigating judge within two working days.\n"
     "3. Urgent cases: a provisional freeze may be ordered on the strength of a notice,\n"
     "   to be confirmed within thirty days of the full request.\n", "published"),
    ("focal.sen", DocumentInput(
        title="Channels and languages for requests from the Court",
        summary="The central authority, the diplomatic channel and the languages accepted.",
        document_type="procedure", topics=["mla_channels", "defence_requests"], language="fr",
        classification="public", audience="all_states"),
     "Les demandes de la Cour sont adressées à l'autorité centrale par la voie diplomatique.\n"
     "Langues acceptées : français et anglais. Les demandes de la Défense suivent la même voie.\n",
     "published"),
    ("focal.arg", DocumentInput(
        title="Asset recovery law: confiscation and management of seized property",
        summary="Overview of the law and the agency that manages seized property.",
        document_type="legislation", topics=["confiscation", "asset_management"], language="es",
        classification="restricted", audience="selected_states", states=["FRA", "SEN", "POL"]),
     "Resumen de la ley de recuperación de activos: decomiso, administración de bienes\n"
     "incautados y venta anticipada de bienes perecederos.\n", "published"),
    ("focal.pol", DocumentInput(
        title="Urgent freezing checklist for the duty prosecutor",
        summary="One page for the night duty: what to check before an urgent freeze.",
        document_type="form", topics=["freezing", "financial_investigation"], language="en",
        classification="confidential", audience="all_states", share_with_court=True,
        originator_control=True),
     "[ ] Court request or notice received and registered\n"
     "[ ] Bank-account register queried\n[ ] Freeze order drafted for the judge\n", "published"),
    # Guidance of the ASP Secretariat and of the Court's Registry (written for the demo).
    ("moderator", DocumentInput(
        title="Checklist: what a Court request to trace and freeze assets usually contains",
        summary="A reading aid for the authorities that receive such requests: the parts of "
                "the request, the annexes to look for, and whom to ask when one is missing.",
        document_type="form", topics=["identification", "freezing", "mla_channels"],
        language="en", classification="public", audience="all_states", share_with_court=True),
     "1. The person concerned: names, dates of birth, known addresses, identity documents.\n"
     "2. The assets sought: accounts, real estate, vehicles, shares, with any identifier.\n"
     "3. The measure asked for: identification, tracing, freezing or seizure, and why.\n"
     "4. The Court's decision or warrant it rests on, attached.\n"
     "5. Urgency and confidentiality, and the contact at the Registry for questions.\n",
     "published"),
    ("court", DocumentInput(
        title="Registry note: sending the results of a financial investigation to the Court",
        summary="How to return bank records and asset reports: channel, format, and what to "
                "keep confidential.",
        document_type="procedure", topics=["financial_investigation", "mla_channels"],
        language="en", classification="restricted", audience="all_states",
        share_with_court=True),
     "Results are sent through the channel the request came from, with a cover letter that\n"
     "lists each record. Spreadsheets are preferred to scanned statements. Say which parts may\n"
     "not be disclosed to the parties without your consent.\n", "pending"),
    ("focal.jpn", DocumentInput(
        title="Draft guidance on domestic financial investigations",
        summary="Submitted to the Secretariat for review.",
        document_type="procedure", topics=["financial_investigation"], language="en",
        classification="restricted", audience="secretariat"),
     "Financial intelligence unit and police cooperate from the first request; the\n"
     "guidance lists the registries consulted and the usual time frames.\n", "pending"),
]


# Revisions of published demo documents: (title of the document, note, new file text or None,
# new summary or None, accepted?). Written for the demo.
DEMO_REVISIONS = [
    ("Channels and languages for requests from the Court",
     "Spanish added to the accepted languages by the circular of 2 June 2026.",
     "Les demandes de la Cour sont adressées à l'autorité centrale par la voie diplomatique.\n"
     "Langues acceptées : français, anglais et espagnol. Les demandes de la Défense suivent la "
     "même voie.\n", "The central authority, the diplomatic channel and the languages accepted "
     "(Spanish since June 2026).", True),
    ("Executing a Court request to freeze assets: step-by-step procedure",
     "Step 2: the judge must now rule within five working days of being seized.",
     "1. The central authority registers the request and checks the annexes.\n"
     "2. The prosecutor seizes the investigating judge within two working days; the judge\n"
     "   rules within five working days.\n"
     "3. Urgent cases: a provisional freeze may be ordered on the strength of a notice,\n"
     "   to be confirmed within thirty days of the full request.\n", None, False),
]


def _user(local: str, domain: str) -> User:
    return demo_person(f"{local}@{domain}")


def seed_documents(domain: str) -> int:
    """Create the demo documents once; returns how many were made."""
    if db.session.scalar(select(func.count(Document.id))):
        return 0
    moderator = _user("moderator", domain)
    made: dict[str, tuple[User, Document]] = {}
    for local, data, text, status in DEMO_DOCUMENTS:
        owner = _user(local, domain)
        sink = UploadSink()
        sink(filename=f"{data.title[:40]}.txt")
        sink.write(text.encode())
        document = create_document(owner, data, sink)
        transition(owner, document, "submit")
        if status == "published":
            transition(moderator, document, "publish")
        made[data.title] = (owner, document)
    for title, note, text, summary, accepted in DEMO_REVISIONS:
        owner, document = made[title]
        proposal = revisions.input_from(None, document)
        proposal.note = note
        proposal.summary = summary or proposal.summary
        new_file = None
        if text is not None:
            new_file = UploadSink()
            new_file(filename=f"{title[:40]} (revised).txt")
            new_file.write(text.encode())
        revisions.propose(owner, document, proposal, new_file)
        if accepted:  # the other one waits in the queue
            revisions.decide(moderator, document, "accept")
    return len(DEMO_DOCUMENTS)
