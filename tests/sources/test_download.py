"""The download cache and the official URL builders. No test touches the network."""

import hashlib
import io
import urllib.error
from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.sources.download import (
    cache_name,
    cbp_api_url,
    cbp_county_url,
    eurostat_url,
    fetch,
    qcew_annual_url,
)

CONTENT = b'"fipstate","fipscty","naics"\n"01","001","------"\n'
CONTENT_SHA256 = hashlib.sha256(CONTENT).hexdigest()


def _no_network(url):
    raise AssertionError(f"the network was used for {url}")


def _serving(content: bytes, calls: list | None = None):
    def opener(url):
        if calls is not None:
            calls.append(url)
        return io.BytesIO(content)

    return opener


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_fetch_file_url_then_serves_the_cache_without_network(tmp_path):
    source = tmp_path / "server" / "cbp19co.zip"
    source.parent.mkdir()
    source.write_bytes(CONTENT)
    cache = tmp_path / "cache"
    first = fetch(source.as_uri(), cache, sha256=CONTENT_SHA256)
    assert first == cache / "cbp19co.zip"
    assert first.read_bytes() == CONTENT
    source.unlink()  # the "server" is gone: the cache must answer
    again = fetch(source.as_uri(), cache, sha256=CONTENT_SHA256, opener=_no_network)
    assert again == first
    assert _leftovers(cache) == ["cbp19co.zip"]


def test_fetch_injected_opener_called_once(tmp_path):
    calls = []
    url = "https://www2.census.gov/programs-surveys/cbp/datasets/2019/cbp19co.zip"
    fetch(url, tmp_path, opener=_serving(CONTENT, calls))
    fetch(url, tmp_path, opener=_serving(CONTENT, calls))
    assert calls == [url]


def test_checksum_mismatch_is_refused_and_not_kept(tmp_path):
    wrong = "0" * 64
    with pytest.raises(UserError, match=f"SHA-256 {CONTENT_SHA256}, expected {wrong}"):
        fetch("https://example.org/x.csv", tmp_path, sha256=wrong, opener=_serving(CONTENT))
    assert _leftovers(tmp_path) == []


def test_uppercase_checksum_is_accepted(tmp_path):
    path = fetch(
        "https://example.org/x.csv",
        tmp_path,
        sha256=CONTENT_SHA256.upper(),
        opener=_serving(CONTENT),
    )
    assert path.read_bytes() == CONTENT


def test_cached_file_with_wrong_checksum_is_refused(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"tampered")
    with pytest.raises(UserError, match="cached copy .* delete it"):
        fetch("https://example.org/x.csv", tmp_path, sha256=CONTENT_SHA256, opener=_no_network)


@pytest.mark.parametrize(
    "failure",
    [
        urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
        TimeoutError("timed out"),
        ConnectionResetError("connection reset\nby peer"),
    ],
)
def test_network_failure_is_a_one_line_user_error(tmp_path, failure):
    def failing(url):
        raise failure

    with pytest.raises(UserError) as caught:
        fetch("https://data.bls.gov/cew/data/files/2019/csv/x.zip", tmp_path, opener=failing)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("https://data.bls.gov/cew/data/files/2019/csv/x.zip: download failed")
    assert "the default pipeline needs no network" in message
    assert _leftovers(tmp_path) == []


def test_interrupted_download_leaves_no_partial_file(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("connection lost")
            return super().read(4)

    with pytest.raises(UserError, match="connection lost"):
        fetch("https://example.org/big.zip", tmp_path, opener=lambda url: Broken(CONTENT))
    assert _leftovers(tmp_path) == []


def test_cache_names_keep_queries_apart():
    first = cache_name("https://api.census.gov/data/2019/cbp?get=NAICS2017,EMP&for=county:*")
    second = cache_name("https://api.census.gov/data/2018/cbp?get=NAICS2017,EMP&for=county:*")
    assert first.startswith("cbp-") and second.startswith("cbp-") and first != second
    assert cache_name("https://example.org/a%20b/c d.csv") == "c_d.csv"


def test_cbp_county_url():
    assert (
        cbp_county_url(2019)
        == "https://www2.census.gov/programs-surveys/cbp/datasets/2019/cbp19co.zip"
    )
    assert cbp_county_url(1999).endswith("/1999/cbp99co.zip")
    assert cbp_county_url(2005).endswith("/2005/cbp05co.zip")
    with pytest.raises(UserError, match="first year 1986"):
        cbp_county_url(1980)


def test_cbp_api_url():
    assert cbp_api_url(2019) == (
        "https://api.census.gov/data/2019/cbp?get=NAICS2017,EMP,EMP_F,ESTAB&for=county:*"
        "&LFO=001&EMPSZES=001"
    )
    assert cbp_api_url(2014, "state") == (
        "https://api.census.gov/data/2014/cbp?get=NAICS2012,EMP,EMP_F,ESTAB&for=state:*"
    )
    metro = cbp_api_url(2019, "cbsa", api_key="KEY")
    assert "for=metropolitan%20statistical%20area/micropolitan%20statistical%20area:*" in metro
    assert metro.endswith("&key=KEY")
    with pytest.raises(UserError, match="geography 'zip'"):
        cbp_api_url(2019, "zip")


def test_qcew_urls():
    assert (
        qcew_annual_url(2019)
        == "https://data.bls.gov/cew/data/files/2019/csv/2019_annual_singlefile.zip"
    )
    assert qcew_annual_url(2019, "by_area").endswith("/2019/csv/2019_annual_by_area.zip")
    assert (
        qcew_annual_url(2019, "area", "53061")
        == "https://data.bls.gov/cew/data/api/2019/a/area/53061.csv"
    )
    assert qcew_annual_url(2020, "industry", "31-33").endswith("/2020/a/industry/31_33.csv")
    with pytest.raises(UserError, match="give the area code"):
        qcew_annual_url(2019, "area")
    with pytest.raises(UserError, match="kind 'monthly'"):
        qcew_annual_url(2019, "monthly")


def test_eurostat_url():
    assert eurostat_url("lfst_r_lfe2en2") == (
        "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/lfst_r_lfe2en2"
        "?format=TSV&compressed=true"
    )
    with pytest.raises(UserError, match="not valid"):
        eurostat_url("../etc")
