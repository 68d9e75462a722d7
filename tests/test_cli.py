"""The regclust command line as a user meets it: usage errors, gates, questions, atomic runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.stages import cluster as cluster_stage
from pipeline.stages import label as label_stage
from pipeline.stages import measure as measure_stage
from pipeline.stages import publish as publish_stage
from pipeline.stages import region_groups as region_groups_stage
from pipeline.stages import relate as relate_stage
from pipeline.stages import spatial as spatial_stage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
GOOD = DATA / "good" / "employment.csv"
BAD = DATA / "bad"
PROCESSED = ROOT / "data" / "processed" / "us_cbsa_2019"
needs_tables = pytest.mark.skipif(
    not PROCESSED.is_dir(), reason="needs the built us_cbsa_2019 tables (dvc repro)"
)


def regclust(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the installed console script as a user would (a fresh process)."""
    script = Path(sys.executable).with_name("regclust")
    return subprocess.run(
        [str(script), *arguments], capture_output=True, text=True, cwd=cwd, timeout=300
    )


# (arguments, fragment of the one-line message)
MISTYPED = [
    (["measure", "--datset", "x"], "No such option: --datset; did you mean --dataset?"),
    (["show"], "Missing argument 'region'"),
    (["showw", "Detroit"], "Did you mean 'show'?"),
    (["ingestt"], "Did you mean 'ingest'?"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["measure", "--dataset"], "Option '--dataset' requires an argument"),
    (["--bogus"], "No such option: --bogus"),
    (["validate"], "Missing argument 'employment'"),
    (["run", "--out"], "Option '--out' requires an argument"),
    (["run", "--employment", "x.csv"], "Missing option"),
    (["top"], "top: pass a cluster or industry"),
    (["top", "aerospace", "--label", "technology"], "not both"),
    (["top", "--label"], "Option '--label' requires an argument. (see 'regclust top --help')"),
    (["shwo", "Detroit"], "Did you mean 'show'?"),
    (["show", "Detroit", "Detroit"], "Got unexpected extra argument"),
    (["show", "--json"], "Missing argument 'region'"),
    (["top", "3364", "--top", "x"], "Invalid value for '--top'"),
    (["top", "3364", "--year", "2019.5"], "Invalid value for '--year'"),
    (["show", "Detroit", "--min-employment", "abc"], "Invalid value for '--min-employment'"),
    (["show", "Detroit", "--min-employment", "-1"], "Invalid value for '--min-employment'"),
    (["maps", "--dataset"], "requires an argument. (see 'regclust maps --help')"),
    (["show", "Detroit", "--params", "no/such/params.yaml"], "--params no/such/params.yaml"),
    (["fetch", "cbp-county"], "needs --year"),
    (["fetch", "qcew", "--year", "abc"], "Invalid value for '--year'"),
    (["-x"], "No such option: -x"),
    (["related"], "Missing argument 'query'"),
    (["fetch"], "Missing argument 'kind'"),
    (["show", "Detroit", "--year", "abc"], "Invalid value for '--year'"),
    (["show", "Detroit", "--top", "0"], "Invalid value for '--top'"),
    (["validate", str(GOOD), "--regions"], "Option '--regions' requires an argument"),
    (["publish", "extra-argument"], "Got unexpected extra argument"),
    (["measure", "--datset", "x"], "(see 'regclust measure --help')"),
    (["top", "3364", "--by"], "Option '--by' requires an argument"),
    (["show", "Detroit", "-n", "-5"], "Invalid value for '--top' / '-n'"),
    (["--debug"], "Missing command"),
    (["-V"], "No such option: -V"),
    (["top", "--year", "abc", "3364"], "Invalid value for '--year': 'abc' is not a whole number"),
    (["show", "Detroit", "-n0"], "'0' should be greater than or equal to 1"),
    (["show", "Detroit", "--min-employment=x"], "'x' is not a number"),
]


@pytest.mark.parametrize(("arguments", "fragment"), MISTYPED, ids=lambda v: " ".join(v)[:40])
def test_usage_errors_are_one_line_exit_2_without_traceback(arguments, fragment):
    done = regclust(*arguments)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("regclust: error: ")
    assert fragment in lines[0]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_line_not_a_traceback():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [str(Path(sys.executable).with_name("regclust")), "--help"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == "regclust: error: no space left on the device; free some"


def test_bare_regclust_prints_help_and_version_prints_version():
    bare = regclust()
    assert bare.returncode == 0 and "Usage" in bare.stdout and "show" in bare.stdout
    assert bare.stderr == ""
    version = regclust("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("regclust ") and len(version.stdout.split()) == 2


@pytest.mark.parametrize(
    "bad",
    [
        "text_in_year.csv",
        "negative_employment.csv",
        "duplicate_rows.csv",
        "empty_year.csv",
        "five_digit_year.csv",
        "all_zero_employment.csv",
        "zero_totals_everywhere.csv",
        "extra_field.csv",
        "fractional_establishments.csv",
    ],
)
def test_validate_exits_2_when_not_usable(bad, capsys):
    assert main(["validate", str(BAD / bad), "--classification", "naics2017"]) == 2
    assert "result: NOT usable" in capsys.readouterr().out


def test_validate_exits_2_for_nace_codes_in_a_naics_file(capsys):
    assert main(["validate", str(BAD / "nace_codes_as_naics.csv"), "--classification", "naics2017"])
    out = capsys.readouterr().out
    assert "the codes look like nace_r2: pass --classification nace_r2" in out


def test_validate_detects_an_unambiguous_classification(capsys):
    assert main(["validate", str(GOOD)]) == 0
    out = capsys.readouterr().out
    assert "no --classification given: the industry codes are naics2017 codes" in out
    assert out.rstrip().endswith("result: usable")


@pytest.mark.parametrize(
    "odd", sorted(path.name for path in (DATA / "odd").glob("*") if path.is_file())
)
def test_odd_but_valid_files_pass(odd, capsys):
    assert main(["validate", str(DATA / "odd" / odd), "--classification", "naics2017"]) == 0, (
        capsys.readouterr().out
    )


def test_run_out_an_existing_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "results.txt"
    target.write_text("mine")
    code = main(
        ["run", "--employment", str(GOOD), "--classification", "naics2017", "--out", str(target)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "is an existing file, not a folder" in err[0]
    assert target.read_text() == "mine"


def test_run_refuses_a_folder_of_other_files(tmp_path, capsys):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "letter.txt").write_text("keep me")
    code = main(
        ["run", "--employment", str(GOOD), "--classification", "naics2017", "--out", str(folder)]
    )
    assert code == 2 and "holds other files and no regclust result" in capsys.readouterr().err
    assert (folder / "letter.txt").read_text() == "keep me"


def test_run_all_zero_employment_says_what_is_wrong(tmp_path, capsys):
    code = main(
        [
            "run",
            "--employment",
            str(BAD / "all_zero_employment.csv"),
            "--classification",
            "naics2017",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "every value is zero or empty" in err and "industry_level 0" not in err
    assert not (tmp_path / "o").exists()


def _previous_result(out: Path) -> None:
    out.mkdir()
    (out / "metrics.json").write_text('{"previous": true}')
    (out / "location_quotients.parquet").write_text("previous")


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_failed_run_leaves_the_previous_result_intact(tmp_path, monkeypatch):
    out = tmp_path / "results"
    _previous_result(out)
    written = []

    def measure_fails(settings, dataset, layout, scheduler=None):
        written.extend(sorted(path.name for path in layout.processed.iterdir()))
        raise UserError("forced failure in measure")

    monkeypatch.setattr(measure_stage, "run_measure", measure_fails)
    arguments = ["run", "--employment", str(GOOD), "--classification", "naics2017"]
    assert main([*arguments, "--out", str(out)]) == 2
    assert "employment.parquet" in written  # ingest had written into the temporary folder
    assert sorted(path.name for path in out.iterdir()) == [
        "location_quotients.parquet",
        "metrics.json",
    ]
    assert (out / "metrics.json").read_text() == '{"previous": true}'
    assert _leftovers(tmp_path) == []
    fresh = tmp_path / "fresh"
    assert main([*arguments, "--out", str(fresh)]) == 2
    assert not fresh.exists()  # nothing half-filled where there was nothing


def test_successful_run_replaces_the_previous_result(tmp_path, monkeypatch):
    out = tmp_path / "results"
    _previous_result(out)
    for stage, name in (
        (relate_stage, "run_relate"),
        (measure_stage, "run_measure"),
        (cluster_stage, "run_cluster"),
        (spatial_stage, "run_spatial"),
        (label_stage, "run_label"),
        (region_groups_stage, "run_region_groups"),
    ):
        monkeypatch.setattr(stage, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(
        publish_stage,
        "run_publish",
        lambda settings, dataset, layout: (layout.processed / "metrics.json").write_text("{}"),
    )
    arguments = ["run", "--employment", str(GOOD), "--classification", "naics2017"]
    assert main([*arguments, "--out", str(out)]) == 0
    assert (out / "metrics.json").read_text() == "{}"
    assert (out / "employment.parquet").exists()
    assert not (out / "location_quotients.parquet").exists()  # the old result is gone whole
    assert _leftovers(tmp_path) == []


@needs_tables
def test_show_detroit_by_name():
    done = regclust("show", "Detroit")
    assert done.returncode == 0, done.stderr
    assert "Detroit-Warren-Dearborn, MI (19820)" in done.stdout
    assert "Automotive" in done.stdout
    payload = json.loads(regclust("show", "Detroit", "--json").stdout)
    assert payload["region_id"] == "19820"
    assert "Automotive" in [row["cluster_name"] for row in payload["clusters"]]
    assert payload["industries"][0]["industry_name"]


@needs_tables
def test_top_aerospace_lists_seattle_or_wichita():
    payload = json.loads(regclust("top", "3364", "--json").stdout)
    assert payload["kind"] == "industry"
    assert payload["name"] == "Aerospace Product and Parts Manufacturing"
    leaders = [row["region_id"] for row in payload["regions"]]
    assert {"42660", "48620"} & set(leaders)  # by LQ, among the top 10
    by_size = json.loads(regclust("top", "3364", "--by", "employment", "--json").stdout)
    assert by_size["regions"][0]["region_id"] == "42660"  # Seattle: the most aerospace jobs
    cluster = json.loads(regclust("top", "Automotive", "--by", "employment", "--json").stdout)
    assert cluster["kind"] == "cluster" and cluster["code"] == "4"
    assert cluster["regions"][0]["region_id"] == "19820"  # Detroit: the most automotive jobs


@needs_tables
def test_top_label_lists_the_largest_technology_clusters():
    payload = json.loads(regclust("top", "--label", "technology", "--json").stdout)
    assert payload["kind"] == "regional_clusters" and payload["label"] == "technology"
    clusters = payload["clusters"]
    assert len(clusters) == 10 and {row["label"] for row in clusters} == {"technology"}
    jobs = [row["employment"] for row in clusters]
    assert jobs == sorted(jobs, reverse=True)
    assert all(row["regions"] and row["cluster_name"] for row in clusters)
    table = regclust("top", "--label", "tech", "-n", "3")
    assert table.returncode == 0 and "Largest regional clusters (technology)" in table.stdout
    every = json.loads(regclust("top", "--label", "all", "-n", "3", "--json").stdout)
    assert every["label"] is None and len(every["clusters"]) == 3


@needs_tables
@pytest.mark.parametrize(
    "arguments",
    [
        ["show", "Detroit"],
        ["top", "aerospace"],
        ["top", "--label", "technology"],
        ["related", "Automotive"],
        ["show", "Manchester", "--dataset", "gb_nuts2_2015_2022"],
    ],
    ids=lambda v: " ".join(v),
)
def test_tables_fit_80_columns_without_cutting_a_column(arguments):
    done = regclust(*arguments)  # not a terminal: rich lays out for 80 columns
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert rows and all(len(line) <= 80 for line in rows)
    assert all(line[-1] in "┓┃┩│┘" for line in rows), "a column is cut off"


@needs_tables
def test_show_a_panel_region_lists_its_group_and_the_change():
    done = regclust("show", "Manchester", "--dataset", "gb_nuts2_2015_2022")
    assert done.returncode == 0, done.stderr
    assert "Greater Manchester (UKD3)" in done.stdout
    assert "region group 2022-" in done.stdout and "dominant clusters: " in done.stdout
    assert "LQ +/-" in done.stdout
    payload = json.loads(
        regclust("show", "UKD3", "--dataset", "gb_nuts2_2015_2022", "--json").stdout
    )
    assert payload["base_year"] == 2015 and "lq_change" in payload["clusters"][0]
    assert payload["group"]["group_id"].startswith("2022-")
    earlier = json.loads(
        regclust(
            "show", "UKD3", "--dataset", "gb_nuts2_2015_2022", "--year", "2019", "--json"
        ).stdout
    )
    assert earlier["year"] == 2019


@needs_tables
def test_show_finds_a_russian_subject_by_its_russian_name():
    done = regclust("show", "Москва", "--dataset", "ru_subjects_2017_2021", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["region_id"] == "RU-MOW"


@needs_tables
def test_related_clusters_and_missing_relatedness():
    payload = json.loads(regclust("related", "Automotive", "--json").stdout)
    assert payload["related"][0]["related_cluster_name"] == "Metalworking Technology"
    # industry relatedness from the relate stage: aircraft's closest are the aircraft parts
    industry = json.loads(regclust("related", "336411", "--industry", "--json").stdout)
    assert [row["related_code"] for row in industry["related"][:2]] == ["336413", "336412"]
    assert industry["related"][0]["rank"] == 1
    coarse = regclust("related", "3364", "--industry")  # relatedness is between 6-digit codes
    assert coarse.returncode == 0 and "those within 3364: 336411, 336412" in coarse.stdout


@needs_tables
def test_related_clusters_from_the_data_where_the_cluster_mapping_lists_none():
    # the US Cluster Mapping dump lists no related cluster for aerospace (cluster 1): the
    # dataset's industry relatedness, aggregated to clusters, answers instead
    payload = json.loads(regclust("related", "aerospace", "--json").stdout)
    assert payload["code"] == "1" and payload["source"].startswith("industry_relatedness")
    related = payload["related"]
    assert len(related) == 10 and all(0 < row["linked_share"] <= 1 for row in related)
    shares = [row["linked_share"] for row in related]
    assert shares == sorted(shares, reverse=True)
    assert "1" not in {row["related_cluster_code"] for row in related}
    # --source data for a listed cluster; --source cmp for one the list lacks says so
    data = json.loads(regclust("related", "Automotive", "--source", "data", "--json").stdout)
    assert data["source"].startswith("industry_relatedness") and data["related"]
    listed = regclust("related", "1", "--source", "cmp")
    assert listed.returncode == 0 and "no related cluster listed" in listed.stdout
    # outside the US there is no Cluster Mapping list: one line, exit 2
    foreign = regclust("related", "C", "--dataset", "gb_nuts2_2015_2022", "--source", "cmp")
    assert foreign.returncode == 2 and "use --source data" in foreign.stderr
    sections = json.loads(
        regclust("related", "C", "--dataset", "gb_nuts2_2015_2022", "--json").stdout
    )
    assert sections["related"] and sections["source"].startswith("industry_relatedness")


@needs_tables
@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["show", "Detriot"], "did you mean: 19820 Detroit-Warren-Dearborn, MI"),
        (["top", "aerospaec"], "did you mean"),
        (["show", "Detroit", "--dataset", "us_cbsa2019"], "did you mean 'us_cbsa_2019'?"),
        (["show", "Detroit", "--year", "1990"], "--year 1990: not in the data"),
        (["top", "--label", "technolgy"], "did you mean 'technology'?"),
        (["top", "3364", "--by", "size"], "order 'size' is not known; use lq or employment"),
        (["related", "Automotvie"], "did you mean"),
        (["show", "Nowhere City"], "no region 'Nowhere City'"),
        (["show", "Detroit", "--dataset", ""], "--dataset '': not a dataset name"),
        (["show", "Detroit", "--dataset", "../us_cbsa_2019"], "not a dataset name"),
    ],
)
def test_unknown_names_suggest_close_matches(arguments, fragment):
    done = regclust(*arguments)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], done.stderr
