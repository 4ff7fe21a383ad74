"""Where the read-only shared material is: ../shared from the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
W3C = SHARED / "w3c" / "sparql" / "sparql11"
SEED_TEXT = SHARED / "seed" / "sister-city.txt"
WIKIPEDIA_RAW = DATA / "wikipedia-twin-lists" / "twin_cities_raw.csv"
WIKIPEDIA_GEOCODED = DATA / "wikipedia-twin-lists" / "twin_cities_geocoded.csv"
P190_CRAWL = DATA / "wikidata" / "p190-crawl-2016"
WIKIBASE_SDK = DATA / "wikidata" / "wikibase-sdk"
