"""Plain records: what every parser produces and the builder (``twinrdf.build``) consumes.

Parsers know their source format and nothing about RDF; the builder knows RDF and nothing
about source formats. Keeping this contract small is what lets one builder serve every source.

Conventions:
- ``key`` is the record's identity inside one conversion run, chosen by the parser (for the
  twinrdf tables it is the ``id`` column; for scraped lists, the normalised name + country).
  The builder mints IRIs from keys deterministically.
- References between records use keys (``Agreement.partners`` holds locality keys).
- Names are ``(text, language)`` pairs; language may be ``None`` when unknown.
- ``origin`` says where a record came from (file, line) so that the builder and the
  rejects report can point back to the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twinrdf.dates import PartialDate

Name = tuple[str, str | None]


@dataclass(frozen=True)
class Origin:
    """Where a record was read: file (as given), 1-based line or row, and optionally column."""

    file: str
    line: int
    column: str | None = None


@dataclass
class Source:
    key: str
    title: str | None = None
    url: str | None = None
    reference_number: str | None = None
    retrieved: PartialDate | None = None
    quotation: str | None = None
    publisher: str | None = None
    origin: Origin | None = None


@dataclass
class Locality:
    key: str
    names: list[Name] = field(default_factory=list)
    scope: str | None = None  # class local name: Village, Town, City, Municipality, District, Prefecture, ...
    country: str | None = None  # key of the country Locality, or an ISO 3166 code resolved by the builder
    country_code: str | None = None  # ISO 3166-1 alpha-2 or 3166-2 (GB-ENG), for Country records
    parent: str | None = None  # key of the administrative parent
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    population_date: PartialDate | None = None
    wikidata: str | None = None  # Q-id, only when a source states it
    geonames: str | None = None
    governing_body: str | None = None  # organisation key
    disputed: bool = False
    note: str | None = None
    sources: list[str] = field(default_factory=list)  # source keys
    origin: Origin | None = None
    # Added by the converters (issue 4):
    country_name: str | None = None  # the country as the source wrote it, when no ISO 3166 code fits
    instance_of: list[str] = field(default_factory=list)  # Wikidata P31 classes (Q-ids), non-deprecated
    descriptions: list[Name] = field(default_factory=list)  # Wikidata descriptions, per language


@dataclass
class StatusChange:
    status: str  # Proposed | Active | Suspended | Ended | Abandoned
    date: PartialDate | None = None
    reason: str | None = None
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None  # its own row (status_changes.csv), when it has one


@dataclass
class Signing:
    person: str  # agent key (a Person)
    on_behalf_of: str | None = None  # locality or organisation key
    office: str | None = None
    date: PartialDate | None = None
    origin: Origin | None = None  # its own row (signings.csv), when it has one


@dataclass
class Listing:
    """One side's assertion: ``listed_by`` lists ``listed_partner`` as a twin, per ``source``."""

    listed_by: str
    listed_partner: str
    source: str | None = None
    origin: Origin | None = None


@dataclass
class Agreement:
    key: str | None  # None: the builder derives the identity from the set of partners
    partners: list[str]  # locality keys, two or more
    kind: str | None = None  # concept local name: TwinTown, SisterCity, PartnerCity, ...
    status: str | None = None  # current status concept local name
    status_changes: list[StatusChange] = field(default_factory=list)
    signing_date: PartialDate | None = None
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    purposes: list[str] = field(default_factory=list)  # concept local names
    signings: list[Signing] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # document keys
    held_by: list[str] = field(default_factory=list)  # organisation keys
    coordinated_by: list[str] = field(default_factory=list)
    initiated_by: list[str] = field(default_factory=list)  # agent keys
    listings: list[Listing] = field(default_factory=list)
    label: str | None = None
    note: str | None = None
    wikidata_statement: str | None = None  # Wikidata statement id, when the agreement comes from a P190 claim
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None


@dataclass
class Agent:
    key: str
    # Person | Organisation | GoverningBody | TwinningAssociation | CoordinatingOrganisation | Company
    kind: str
    names: list[Name] = field(default_factory=list)
    office: str | None = None
    country: str | None = None
    roles: list[str] = field(default_factory=list)  # OrganisationRole concepts
    parent: str | None = None  # organisation key (sub-organisation of)
    collaborates_with: list[str] = field(default_factory=list)
    located_in: str | None = None
    wikidata: str | None = None
    description: str | None = None
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None


@dataclass
class Document:
    key: str
    title: str | None = None
    url: str | None = None
    date: PartialDate | None = None
    description: str | None = None
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None


@dataclass
class Activity:
    key: str
    # DiplomacyActivity subclass local name (Event, RecurringEvent, Message, ...) or HistoricalEvent
    kind: str
    label: str | None = None
    description: str | None = None
    date: PartialDate | None = None
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    not_before: PartialDate | None = None
    not_after: PartialDate | None = None
    period_label: str | None = None
    frequency: str | None = None
    involves: list[str] = field(default_factory=list)  # locality keys
    participants: list[str] = field(default_factory=list)  # agent keys
    agreement: str | None = None  # agreement key
    purposes: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    sender: str | None = None
    recipient: str | None = None
    commemorates: str | None = None
    located_in: str | None = None
    commemoration_form: str | None = None
    company: str | None = None
    chamber: str | None = None
    initiated_by: list[str] = field(default_factory=list)
    coordinated_by: list[str] = field(default_factory=list)
    country: str | None = None
    according_to: str | None = None  # agent key
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None


@dataclass
class TerritorialStatus:
    key: str
    locality: str
    kind: str  # Recognition | Control
    recognised_by: str | None = None  # locality key of the recognising state
    recognised_as_part_of: str | None = None  # country key
    basis: str | None = None  # DeJure | DeFacto
    controlled_by: list[str] = field(default_factory=list)  # agent keys
    date: PartialDate | None = None  # as of
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    sources: list[str] = field(default_factory=list)
    origin: Origin | None = None


@dataclass
class Reject:
    """An input row that did not make it into the output, and why."""

    file: str
    line: int
    reason: str
    column: str | None = None
    value: str | None = None


@dataclass
class ReviewItem:
    """A decision of entity resolution a person should check: a merge made on weaker evidence
    (``merged=True``) or a possible duplicate that was left apart (``merged=False``)."""

    kind: str  # qualifier-dropped | near-duplicate-merged | ambiguous-qualifier | kind-qualifier | ...
    names: list[str]
    message: str
    merged: bool = False
    origin: Origin | None = None


@dataclass
class RecordSet:
    """Everything one parse produced, plus the rows it rejected and how many it read."""

    sources: list[Source] = field(default_factory=list)
    localities: list[Locality] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    territorial: list[TerritorialStatus] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    review: list[ReviewItem] = field(default_factory=list)  # entity-resolution report (twinrdf.resolve)
    # Input left out by design, counted by reason (not rows: e.g. deprecated P190 statements,
    # dump entities without any P190 statement); rows_read does not include them.
    excluded: dict[str, int] = field(default_factory=dict)

    def extend(self, other: RecordSet) -> None:
        for name in (
            "sources",
            "localities",
            "agreements",
            "agents",
            "documents",
            "activities",
            "territorial",
            "rejects",
            "review",
        ):
            getattr(self, name).extend(getattr(other, name))
        self.rows_read += other.rows_read
        for reason, n in other.excluded.items():
            self.excluded[reason] = self.excluded.get(reason, 0) + n
