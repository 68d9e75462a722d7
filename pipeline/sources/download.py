"""Download official files into a local cache (optional: the default pipeline needs no network).

:func:`fetch` downloads once, verifies the SHA-256 when one is given, and renames the
finished file into the cache atomically (temporary file + ``os.replace``), so an interrupted
download never leaves a partial file under the final name. Later calls return the cached
path without touching the network. The URL builders name the official locations of the
files the readers in this package understand.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import UserError
from pipeline.sources.cbp_files import cbp_naics_vintage

DEFAULT_TIMEOUT_SECONDS = 60.0
CHUNK_BYTES = 1 << 20
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
URL_HASH_CHARACTERS = 12
NO_NETWORK_HINT = (
    "the default pipeline needs no network (it reads the files embedded in data/raw); "
    "download the file by hand into the cache folder, or retry when online"
)

CBP_COUNTY_URL = "https://www2.census.gov/programs-surveys/cbp/datasets/{year}/cbp{yy:02d}co.zip"
CBP_API_URL = "https://api.census.gov/data/{year}/cbp"
CBP_API_GEOGRAPHIES = {
    "county": "county:*",
    "state": "state:*",
    "us": "us:*",
    "cbsa": "metropolitan statistical area/micropolitan statistical area:*",
}
# From 2017 the CBP API also breaks data down by legal form and employment size; '001' = all.
CBP_API_ALL_ESTABLISHMENTS_FROM = 2017
QCEW_FILES_URL = "https://data.bls.gov/cew/data/files/{year}/csv/{year}_annual_{kind}.zip"
QCEW_SLICE_URL = "https://data.bls.gov/cew/data/api/{year}/a/{kind}/{code}.csv"
QCEW_FILE_KINDS = {"singlefile", "by_area", "by_industry"}
QCEW_SLICE_KINDS = {"area", "industry"}
EUROSTAT_URL = (
    "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{code}"
    "?format=TSV&compressed=true"
)


def open_url(url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> BinaryIO:
    """Open ``url`` for reading (http, https or file), with a timeout."""
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - official URLs only


def cache_name(url: str) -> str:
    """File name under which ``url`` is cached.

    The last path segment ('cbp19co.zip'), made safe for file systems; a URL with a query
    string (API calls) gets a short hash of the whole URL appended, so different queries of
    one endpoint do not collide.
    """
    parsed = urllib.parse.urlparse(url)
    name = _UNSAFE_NAME.sub("_", Path(urllib.parse.unquote(parsed.path)).name) or "download"
    if parsed.query:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:URL_HASH_CHARACTERS]
        name = f"{name}-{digest}"
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _one_line(reason: object) -> str:
    return " ".join(str(reason).split())


def fetch(
    url: str,
    cache_dir: Path,
    sha256: str | None = None,
    opener: Callable[[str], BinaryIO] = open_url,
) -> Path:
    """Download ``url`` into ``cache_dir`` once and return the cached path.

    Parameters
    ----------
    url : str
        http(s) or file URL of an official file (see the ``*_url`` builders).
    cache_dir : Path
        Folder of the cache (created if missing).
    sha256 : str, optional
        Expected SHA-256 (hex) of the file; a download or cached file that does not match
        raises :class:`UserError` (a mismatching download is not kept).
    opener : callable
        ``opener(url)`` returns a readable binary file object (a context manager);
        :func:`open_url` by default. Tests inject one, so no test needs the network.

    Returns
    -------
    Path
        ``cache_dir / cache_name(url)``. When it already exists it is returned without any
        network access (after the checksum check, when ``sha256`` is given).
    """
    cache_dir = Path(cache_dir)
    target = cache_dir / cache_name(url)
    expected = sha256.lower() if sha256 else None
    if target.exists():
        if expected and (actual := _sha256(target)) != expected:
            raise UserError(
                f"{target}: cached copy of {url} has SHA-256 {actual}, expected {expected}; "
                "delete it to download again"
            )
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=cache_dir)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as written:
            try:
                with opener(url) as response:
                    for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                        digest.update(chunk)
                        written.write(chunk)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
                reason = getattr(error, "reason", error)
                raise UserError(
                    f"{url}: download failed ({_one_line(reason)}); {NO_NETWORK_HINT}"
                ) from error
            written.flush()
            os.fsync(written.fileno())
        actual = digest.hexdigest()
        if expected and actual != expected:
            raise UserError(
                f"{url}: downloaded file has SHA-256 {actual}, expected {expected}; "
                "the file changed at the source or the download is corrupt (not kept)"
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _check_year(year: int, first: int, what: str) -> int:
    year = int(year)
    if year < first:
        raise UserError(f"{what}: no file for {year} (first year {first})")
    return year


def cbp_county_url(year: int) -> str:
    """Census CBP complete county file (1986 onward).

    Examples
    --------
    >>> cbp_county_url(2019)
    'https://www2.census.gov/programs-surveys/cbp/datasets/2019/cbp19co.zip'
    """
    year = _check_year(year, 1986, "CBP county file")
    return CBP_COUNTY_URL.format(year=year, yy=year % 100)


def cbp_api_url(
    year: int,
    geography: str = "county",
    variables: tuple[str, ...] = ("EMP", "EMP_F", "ESTAB"),
    api_key: str | None = None,
) -> str:
    """CBP API query for every NAICS code of one geography.

    Parameters
    ----------
    year : int
        Data year (1998+; the NAICS variable follows :func:`cbp_naics_vintage`, e.g.
        NAICS2017 from 2017, NAICS2012 for 2012-2016).
    geography : {'county', 'state', 'us', 'cbsa'}
    variables : tuple of str
        Variables besides the NAICS code. EMP_F carries the withheld-range letters.
    api_key : str, optional
        A Census API key (the API now asks for one); never stored in the cache name's path.

    Returns
    -------
    str
        e.g. ``https://api.census.gov/data/2019/cbp?get=NAICS2017,EMP,EMP_F,ESTAB&for=county:*
        &LFO=001&EMPSZES=001``; save the response and read it with
        :func:`pipeline.sources.cbp_files.read_cbp_api_json`.
    """
    if geography not in CBP_API_GEOGRAPHIES:
        raise UserError(
            f"CBP API geography '{geography}' is unknown; use {', '.join(CBP_API_GEOGRAPHIES)}"
        )
    naics = cbp_naics_vintage(year).upper()
    query = {"get": ",".join([naics, *variables]), "for": CBP_API_GEOGRAPHIES[geography]}
    if int(year) >= CBP_API_ALL_ESTABLISHMENTS_FROM:
        query |= {"LFO": "001", "EMPSZES": "001"}
    if api_key:
        query["key"] = api_key
    encoded = urllib.parse.urlencode(query, safe=",:*/", quote_via=urllib.parse.quote)
    return f"{CBP_API_URL.format(year=int(year))}?{encoded}"


def qcew_annual_url(year: int, kind: str = "singlefile", code: str | None = None) -> str:
    """BLS QCEW annual-average CSV.

    Parameters
    ----------
    year : int
        1990+ (NAICS-based files).
    kind : {'singlefile', 'by_area', 'by_industry', 'area', 'industry'}
        The zipped files (``YYYY_annual_singlefile.zip`` and the by-area / by-industry
        collections) or an open-data slice of one area or industry (``code`` required: an
        area such as '53061', 'C4266', 'US000', or an industry such as '3364' or '31-33').
    """
    year = _check_year(year, 1990, "QCEW")
    if kind in QCEW_FILE_KINDS:
        return QCEW_FILES_URL.format(year=year, kind=kind)
    if kind in QCEW_SLICE_KINDS:
        if not code:
            raise UserError(f"QCEW {kind} slice: give the {kind} code (e.g. '53061' or '3364')")
        # The open-data API writes range sectors with an underscore: 31-33 -> 31_33.
        return QCEW_SLICE_URL.format(year=year, kind=kind, code=str(code).replace("-", "_"))
    raise UserError(
        f"QCEW file kind '{kind}' is unknown; use "
        f"{', '.join(sorted(QCEW_FILE_KINDS | QCEW_SLICE_KINDS))}"
    )


def eurostat_url(code: str) -> str:
    """Eurostat dissemination API URL of a whole dataset as gzipped TSV."""
    if not re.fullmatch(r"[A-Za-z0-9_$]+", str(code)):
        raise UserError(f"Eurostat dataset code '{code}' is not valid (e.g. lfst_r_lfe2en2)")
    return EUROSTAT_URL.format(code=code)
