"""CSV tables the notes' way (housing, 003:3180–3330): drop, one-hot, missing, IQR outliers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer

from dlworkflow.data import load_dataset
from dlworkflow.errors import BadInput
from tests.conftest import run_dlw


def notes_remove_outliers(df, column):  # the notes' function, verbatim
    Q1 = df[column].quantile(0.25)  # noqa: N806
    Q3 = df[column].quantile(0.75)  # noqa: N806
    IQR = Q3 - Q1  # noqa: N806
    lower_bound = Q1 - 1.5 * IQR
    upper_bound = Q3 + 1.5 * IQR
    return df[(df[column] >= lower_bound) & (df[column] <= upper_bound)]


def housing(tmp_path: Path, rows: int = 200, blanks: bool = False) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Income": rng.normal(60_000, 10_000, rows),
            "Rooms": rng.normal(6, 1, rows),
            "Ocean": rng.choice(["NEAR BAY", "INLAND", "ISLAND"], rows),
            "Address": [f"{i} Main St" for i in range(rows)],
            "Price": rng.normal(1e6, 2e4, rows),
        }
    )
    frame.loc[[3, 50], "Income"] = [500_000.0, -400_000.0]  # outliers
    frame["Price"] += frame["Income"] * 5
    if blanks:
        frame.loc[[7, 20, 90], "Rooms"] = np.nan
    path = tmp_path / "housing.csv"
    frame.to_csv(path, index=False)
    return path


def spec(path: Path, **options) -> dict:
    return {"source": f"csv:{path}", "options": {"target": "Price", **options}}


def test_housing_drop_one_hot_and_outliers_like_the_notes(tmp_path: Path):
    path = housing(tmp_path)
    options = {"drop": ["Address"], "categorical": "one_hot",
               "outliers": {"iqr": 1.5, "columns": ["Income", "Rooms", "Price"]}}  # fmt: skip
    dataset = load_dataset({**spec(path, **options), "split": {"val": 0.0, "test": 0.0}})
    reference = pd.read_csv(path).drop(["Address"], axis=1)
    for column in ("Income", "Rooms", "Price"):
        reference = notes_remove_outliers(reference, column)
    assert len(dataset.train) == len(reference) < 200
    assert dataset.cleaning == {
        "rows_read": 200, "rows_removed_outliers": 200 - len(reference),
        "rows_kept": len(reference),
    }  # fmt: skip
    assert dataset.feature_names == ["Income", "Rooms", "Ocean_INLAND", "Ocean_ISLAND",
                                     "Ocean_NEAR BAY"]  # fmt: skip
    assert dataset.task == "regression"
    onehot = dataset.train.x[:, 2:]
    assert set(np.unique(onehot)) == {0.0, 1.0} and np.all(onehot.sum(axis=1) == 1)
    assert sorted(dataset.train.y) == pytest.approx(sorted(reference["Price"]), rel=1e-6)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_imputation_uses_training_statistics_only(tmp_path: Path, strategy: str):
    path = housing(tmp_path, blanks=True)
    dataset = load_dataset(spec(path, drop=["Address", "Ocean"], missing=strategy))
    assert not any(np.isnan(s.x).any() for s in dataset.splits().values())
    # the same rows, blank again, imputed by scikit-learn fitted on the training rows
    frame = pd.read_csv(path).drop(columns=["Address", "Ocean"])
    raw = frame[["Income", "Rooms"]].to_numpy(np.float32)
    rows = {tuple(np.round(r[[0]], 2)): r for r in raw}  # Income identifies a row
    train_raw = np.stack([rows[tuple(np.round(r[[0]], 2))] for r in dataset.train.x])
    imputer = SimpleImputer(strategy=strategy).fit(train_raw)
    np.testing.assert_allclose(dataset.train.x, imputer.transform(train_raw), rtol=1e-5)


def test_drop_rows(tmp_path: Path):
    path = housing(tmp_path, blanks=True)
    dataset = load_dataset(
        {
            **spec(path, drop=["Address", "Ocean"], missing="drop_rows"),
            "split": {"val": 0, "test": 0},
        }
    )
    assert len(dataset.train) == 197
    assert dataset.cleaning["rows_dropped_missing"] == 3
    assert dataset.describe()["cleaning"]["rows_kept"] == 197


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        (
            "a,b,y\n1,x,3\n2,z,4\n",
            {"drop": []},
            "data.options.categorical: column 'b' .* holds text",
        ),
        ("a,b,y\n1,,3\n2,5,4\n", {"drop": []}, r"data.options.missing: t.csv row 2 column 'b'"),
        ("a,y\n1,3\n2,4\n", {"drop": ["c"]}, "data.options.drop: no column 'c'"),
        ("a,y\n1,3\n2,4\n", {"drop": ["y"]}, "data.options.drop: 'y' is the target"),
        ("a,y\n1,3\n2,4\n", {"drop": "a"}, "data.options.drop: give a list"),
        ("a,y\n1,3\n2,4\n", {"categorical": "label"}, "data.options.categorical: 'label'"),
        ("a,y\n1,3\n2,4\n", {"missing": "zero"}, "data.options.missing: 'zero' is not"),
        ("a,y\n1,3\n2,4\n", {"outliers": {"iqr": 1.5}}, "data.options.outliers.columns"),
        ("a,y\n1,3\n2,4\n", {"outliers": {"iqr": -1, "columns": ["a"]}}, "outliers.iqr: -1"),
        ("a,y\n1,3\n2,4\n", {"outliers": {"columns": ["q"]}}, "outliers.columns: no column 'q'"),
        ("a,y\n1,3\n2,4\n", {"outliers": {"k": 2}}, "data.options.outliers: give"),
        ("a,y\n1,3\n2,\n", {"missing": "mean"}, "row 3 column 'y' \\(the target\\)"),
        ("a,b,y\n1,,3\n2,u,4\n", {"missing": "mean", "categorical": "one_hot"}, "a text column"),
        ("d,y\n2024-01-02,3\n2024-02-03,4\n", {"drop": []}, "column 'd' .* holds dates"),
        ("a,y\n1,3\n2,4\n", {"drop": [], "task": "cluster"}, "data.options.task"),
        ("a,a,y\n1,2,3\n2,3,4\n", {"drop": []}, "more than once"),
        ("a,y\n1,3\n", {"outliers": {"columns": ["a"]}, "target": "z"}, "options.target: column"),
    ],
)
def test_bad_table_options_name_the_key(tmp_path: Path, text, options, message):
    path = write(tmp_path, text)
    with pytest.raises(BadInput, match=message):
        load_dataset(
            {
                "source": f"csv:{path}",
                "options": {"target": "y", **options},
                "split": {"val": 0, "test": 0},
            }  # fmt: skip
        )


def test_cli_exit_2_names_the_key(tmp_path: Path):
    path = write(tmp_path, "a,b,y\n1,x,3\n2,z,4\n")
    done = run_dlw("data", f"csv:{path}", "-o", "target=y", "-o", "missing=refuse", cwd=tmp_path)
    assert done.returncode == 2 and "data.options.categorical" in done.stderr


def test_housing_run_end_to_end(tmp_path: Path):
    import dlworkflow

    path = housing(tmp_path, blanks=True)
    config = {
        "name": "housing",
        "data": spec(
            path,
            drop=["Address"],
            categorical="one_hot",
            missing="median",
            outliers={"columns": ["Income"]},
        ),  # fmt: skip
        "train": {"epochs": 30, "batch_size": 16},
    }
    run = dlworkflow.run(config, runs_dir=tmp_path / "runs")
    assert run.metrics["evaluation"]["r2"] > 0.3  # price follows income
    assert "rows removed outliers" in (run.folder / "report.html").read_text()
    done = run_dlw("data", f"csv:{path}", "-o", "target=Price", "-o", "drop=[Address, Ocean]",
                   "-o", "missing=mean", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0 and "cells imputed mean 3" in done.stdout, done.stderr


def test_tabular_survey_draws_the_training_correlations(tmp_path: Path):
    from dlworkflow.data.survey import survey_figures

    dataset = load_dataset("diabetes")
    written = [p.name for p in survey_figures(dataset, tmp_path)]
    assert "correlations.svg" in written
    svg = (tmp_path / "correlations.svg").read_text()
    expected = np.corrcoef(dataset.train.x[:, 2], dataset.train.y)[0, 1]  # bmi vs target
    assert f"{expected:.2f}" in svg


def test_survey_gives_pixel_and_column_statistics():
    from dlworkflow.data.survey import survey

    flowers = load_dataset({"source": "flowers17", "limit": 170, "split": {"val": 0, "test": 0}})
    entry = survey(flowers)["splits"]["train"]
    x = flowers.train.x.astype(np.float64)
    np.testing.assert_allclose(entry["channel_mean"], x.mean(axis=(0, 1, 2)), rtol=1e-9)
    np.testing.assert_allclose(entry["channel_std"], x.std(axis=(0, 1, 2)), rtol=1e-9)
    table = load_dataset("diabetes")
    columns = survey(table)["splits"]["train"]["columns"]
    assert list(columns) == table.feature_names
    assert columns["bmi"]["mean"] == pytest.approx(float(table.train.x[:, 2].mean()), rel=1e-6)
