"""The query UI in a real headless Chromium with the network blocked except 127.0.0.1: the page
loads from this server only, an example query runs, its results show; a screenshot is kept as
test-artifacts/query-ui.png."""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.support.server import make_store, running_server
from twinrdf.resources import as_path, examples_dir

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
EXAMPLE = "001-first-modern-twinning"


def _driver(profile: Path) -> webdriver.Chrome:
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--metrics-recording-only",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        f"--user-data-dir={profile}",
        "--window-size=1280,1500",
        # every host name but 127.0.0.1 fails to resolve, and anything else goes to a closed proxy
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    seed = as_path(examples_dir()) / "seed" / "seed.ttl"
    store = make_store(tmp_path_factory.mktemp("ui") / "store", [seed])
    with running_server(store, {"query_workers": 1}) as url:
        yield url


@pytest.mark.skipif(not Path(CHROMEDRIVER).exists(), reason="chromium-driver is not installed")
def test_query_ui_runs_an_example_offline(server: str, tmp_path: Path) -> None:
    expected = list(csv.DictReader((as_path(examples_dir()) / "queries" / f"{EXAMPLE}.expected.csv").open()))
    assert expected, "the example's expected results are empty"
    driver = _driver(tmp_path / "profile")
    try:
        driver.set_page_load_timeout(30)
        driver.get(server + "/sparql")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.execute_script("return !!(window.twinrdfYasgui && window.Yasgui)"))
        # the competency questions are the tabs; the prefix and class/property look-ups are local
        tabs = driver.execute_script("return Object.values(window.twinrdfYasgui._tabs).map(t => t.getName())")
        assert EXAMPLE in tabs and len(tabs) >= 10
        conf = driver.execute_script(
            "var t = window.twinrdfYasgui.getTab(); return [t.getYasqe().config.autocompleters,"
            " t.getYasqe().config.prefixCcApi, window.twinrdfYasgui.config.persistenceId,"
            " t.getEndpoint()]"
        )
        assert conf[0] == ["prefixes", "variables"]
        assert conf[1] == "/-/prefixes.json"
        assert conf[2] is None
        assert conf[3] == server + "/sparql"
        catalogue = driver.execute_script(
            "return window.twinrdfYasgui.config.endpointCatalogueOptions.getData()"
        )
        assert catalogue == [{"endpoint": server + "/sparql"}]  # not DBpedia or WDQS
        # open the example's tab, run it, wait for the result table
        driver.execute_script(
            "var y = window.twinrdfYasgui; var id = Object.keys(y._tabs).find("
            "k => y._tabs[k].getName() === arguments[0]); y.selectTabId(id);",
            EXAMPLE,
        )
        wait.until(lambda d: d.execute_script("return window.twinrdfYasgui.getTab().getName()") == EXAMPLE)
        query = driver.execute_script("return window.twinrdfYasgui.getTab().getYasqe().getValue()")
        assert "SELECT" in query
        button = wait.until(
            EC.element_to_be_clickable((By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton"))
        )
        button.click()
        wait.until(
            EC.presence_of_element_located(
                (By.CSS_SELECTOR, ".tabPanel.active .yasr table.dataTable tbody tr")
            )
        )
        time.sleep(0.3)
        table = driver.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasr table.dataTable").text
        first = expected[0]
        for value in first.values():
            if value and not value.startswith("http"):
                assert value.split("^^")[0].strip('"') in table, (value, table)
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "query-ui.png"))
        # nothing left 127.0.0.1: every request the page made went to this server
        urls = []
        for entry in driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        assert urls, "no network events recorded"
        # (chrome:// pages are the browser's own new-tab page, served from inside the binary)
        network = [u for u in urls if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
        outside = [u for u in network if not u.startswith(server + "/")]
        assert outside == []
        assert any(u.startswith(server + "/sparql") for u in urls[1:]), (
            "the query was not sent to this endpoint"
        )
        assert any("/-/static/vendor/yasgui-" in u for u in urls)
    finally:
        driver.quit()
