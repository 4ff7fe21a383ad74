"""The twin: vocabulary as an rdflib DefinedNamespace (unknown terms raise AttributeError).

GENERATED from ontology/twin.ttl (<https://w3id.org/twinrdf/ns>, version 0.1.0) by
``twinrdf vocab --generate``. Do not edit by hand: edit the ontology and regenerate;
tests/test_ontology_artifacts.py fails when this file has drifted from the ontology.
"""

from rdflib.namespace import DefinedNamespace, Namespace
from rdflib.term import URIRef


class TWIN(DefinedNamespace):
    """Twinning vocabulary (twin:)"""

    _fail = True
    _NS = Namespace("https://w3id.org/twinrdf/ns#")

    # Classes
    Agent: URIRef  # agent
    AgreementKind: URIRef  # agreement kind
    AgreementStatus: URIRef  # agreement status
    BusinessVenture: URIRef  # business venture
    City: URIRef  # city
    Commemoration: URIRef  # commemoration
    CommemorationForm: URIRef  # commemoration form
    Company: URIRef  # company
    Control: URIRef  # control
    CoordinatingOrganisation: URIRef  # coordinating organisation
    Country: URIRef  # country
    DiplomacyActivity: URIRef  # city-diplomacy activity
    District: URIRef  # district
    Document: URIRef  # document
    Event: URIRef  # event
    Exchange: URIRef  # exchange
    GoverningBody: URIRef  # governing body
    HistoricalEvent: URIRef  # historical event
    JointAction: URIRef  # joint action
    Listing: URIRef  # listing
    Locality: URIRef  # locality
    Message: URIRef  # message
    Municipality: URIRef  # municipality
    Organisation: URIRef  # organisation
    OrganisationRole: URIRef  # organisation role
    ParliamentaryDebate: URIRef  # parliamentary debate
    Person: URIRef  # person
    Prefecture: URIRef  # prefecture
    Programme: URIRef  # programme
    Province: URIRef  # province
    Purpose: URIRef  # purpose
    Recognition: URIRef  # recognition
    RecognitionBasis: URIRef  # recognition basis
    RecurringEvent: URIRef  # recurring event
    Region: URIRef  # region or state
    Signing: URIRef  # signing
    Source: URIRef  # source
    StatusChange: URIRef  # status change
    TerritorialStatus: URIRef  # territorial status
    Town: URIRef  # town
    TradeFair: URIRef  # trade fair
    TwinningAgreement: URIRef  # twinning agreement
    TwinningAssociation: URIRef  # twinning association
    Village: URIRef  # village
    WikidataMatch: URIRef  # Wikidata match

    # Object properties
    accordingTo: URIRef  # according to
    administrativeParent: URIRef  # administrative parent
    basis: URIRef  # basis
    chamber: URIRef  # chamber
    collaboratesWith: URIRef  # collaborates with
    commemorates: URIRef  # commemorates
    commemorationForm: URIRef  # commemoration form
    company: URIRef  # company
    controlledBy: URIRef  # controlled by
    coordinatedBy: URIRef  # coordinated by
    country: URIRef  # country
    document: URIRef  # document
    governingBody: URIRef  # governing body
    heldBy: URIRef  # held by
    historicalContext: URIRef  # historical context
    initiatedBy: URIRef  # initiated by
    involves: URIRef  # involves
    kind: URIRef  # kind
    listedBy: URIRef  # listed by
    listedPartner: URIRef  # listed partner
    listing: URIRef  # listing
    locatedIn: URIRef  # located in
    matchedItem: URIRef  # matched item
    onBehalfOf: URIRef  # on behalf of
    participant: URIRef  # participant
    partner: URIRef  # partner
    partnerOf: URIRef  # partner of
    purpose: URIRef  # purpose
    recipient: URIRef  # recipient
    recognisedAsPartOf: URIRef  # recognised as part of
    recognisedBy: URIRef  # recognised by
    reconciliation: URIRef  # reconciliation
    relatedAgreement: URIRef  # related agreement
    role: URIRef  # role
    sender: URIRef  # sender
    signatory: URIRef  # signatory
    signing: URIRef  # signing
    status: URIRef  # status
    statusChange: URIRef  # status change
    subOrganisationOf: URIRef  # sub-organisation of
    territorialStatus: URIRef  # territorial status
    theme: URIRef  # theme
    twinnedWith: URIRef  # twinned with
    wikidata: URIRef  # Wikidata item
    wikidataStatement: URIRef  # Wikidata statement

    # Datatype properties
    countryCode: URIRef  # ISO 3166 code
    date: URIRef  # date
    disputed: URIRef  # disputed
    endDate: URIRef  # end date
    formerName: URIRef  # former name
    frequency: URIRef  # frequency
    geonamesId: URIRef  # GeoNames ID
    matchMethod: URIRef  # match method
    matchScore: URIRef  # match score
    notAfter: URIRef  # not after
    notBefore: URIRef  # not before
    office: URIRef  # office
    orgDescription: URIRef  # organisation description
    periodLabel: URIRef  # period label
    population: URIRef  # population
    populationDate: URIRef  # population date
    quotation: URIRef  # quotation
    reason: URIRef  # reason
    referenceNumber: URIRef  # reference number
    retrieved: URIRef  # retrieved
    signingDate: URIRef  # signing date
    sparqlQuery: URIRef  # SPARQL query
    startDate: URIRef  # start date
    url: URIRef  # URL

    # Datatypes
    PartialDate: URIRef  # partial date

    # Concept schemes
    AgreementKindScheme: URIRef  # agreement kinds
    AgreementStatusScheme: URIRef  # agreement statuses
    CommemorationFormScheme: URIRef  # commemoration forms
    OrganisationRoleScheme: URIRef  # organisation roles
    PurposeScheme: URIRef  # purposes and themes
    RecognitionBasisScheme: URIRef  # recognition bases

    # Concepts
    Abandoned: URIRef  # abandoned
    Active: URIRef  # active
    CitizenDiplomacy: URIRef  # citizen diplomacy
    Climate: URIRef  # climate
    Commercial: URIRef  # commercial and trade
    CooperationMemorandum: URIRef  # cooperation memorandum
    Coordinating: URIRef  # coordinating
    Cultural: URIRef  # cultural
    DeFacto: URIRef  # de facto
    DeJure: URIRef  # de jure
    Education: URIRef  # education
    Ended: URIRef  # ended
    Fingerpost: URIRef  # fingerpost
    FriendshipCity: URIRef  # friendship city
    Holding: URIRef  # holding
    Managing: URIRef  # managing
    Monument: URIRef  # monument
    PartnerCity: URIRef  # partner city
    PeaceReconciliation: URIRef  # peace and reconciliation
    Promoting: URIRef  # promoting
    Proposed: URIRef  # proposed
    SisterCity: URIRef  # sister city
    SisterProvince: URIRef  # sister province or region
    Solidarity: URIRef  # solidarity
    SolidarityLink: URIRef  # solidarity link
    StreetNaming: URIRef  # street naming
    Suspended: URIRef  # suspended
    Tourism: URIRef  # tourism
    TwinTown: URIRef  # twin town
    TwinningArrangement: URIRef  # twinning arrangement
