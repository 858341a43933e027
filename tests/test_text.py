"""task: text — reading texts, the replayable vocabulary, models, evaluation extras."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import keras
import numpy as np
import pytest

from dlworkflow.data.sequence_spec import TextSpec
from dlworkflow.data.spec import DataSpec
from dlworkflow.data.text import fit_vocabulary, load_texts, vectorize
from dlworkflow.errors import BadInput
from dlworkflow.evaluate.text import most_confused_texts, nearest_words
from dlworkflow.models import head_for
from dlworkflow.models.sequence import TEXT_ZOO, text_classifier
from tests.conftest import run_dlw
from tests.text_data import write_reviews


def test_vocabulary_replays_from_json_and_keeps_vietnamese() -> None:
    texts = ["Điện thoại RẤT TỐT!", "Áo khoác đẹp, rất đẹp.", "Quá tệ; thất vọng"]
    spec = TextSpec(max_tokens=50, sequence_length=6)
    record = json.loads(json.dumps(fit_vocabulary(texts, spec), ensure_ascii=False))
    vocabulary = record["vocabulary"]
    assert vocabulary[:2] == ["", "[UNK]"]
    assert {"điện", "rất", "tốt", "đẹp", "tệ", "thất", "vọng"} <= set(vocabulary)
    assert "RẤT" not in vocabulary and "tốt!" not in vocabulary  # Unicode lower, no punctuation
    ids = vectorize(["rất đẹp", "RẤT ĐẸP", "xin chào"], record)
    assert ids.shape == (3, 6) and ids.dtype == np.int32
    np.testing.assert_array_equal(ids[0], ids[1])
    assert ids[0, :2].tolist() == [vocabulary.index("rất"), vocabulary.index("đẹp")]
    assert ids[2, :2].tolist() == [1, 1]  # unknown words
    decomposed = unicodedata.normalize("NFD", "rất đẹp")
    np.testing.assert_array_equal(vectorize([decomposed], record)[0], ids[0])
    # the same ids as a Keras layer adapted on the (lower-cased) texts directly
    layer = keras.layers.TextVectorization(max_tokens=50, output_sequence_length=6)
    layer.adapt([t.lower() for t in texts])
    np.testing.assert_array_equal(np.asarray(layer(["rất đẹp"]))[0], ids[0])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "texts.csv"
    path.write_text(text, encoding="utf-8")
    return path


BAD_TEXTS = [
    ("text,label\nhay,tốt\n   ,xấu\n", {}, "row 3 column 'text': empty"),
    ("text,label\nhay,tốt\ndở,\n", {}, "row 3 column 'label': empty"),
    ("text,nhan\nhay,tốt\n", {}, "data.options.label: no column 'label'"),
    ("text,label\nhay,tốt\n", {"text": "body"}, "data.options.text: no column 'body'"),
    ("text,label\nhay,tốt\ndở,tốt\n", {}, "one label only"),
    ("text,label\nhay,tốt,x\n", {}, "row 2 has 3 fields"),
    ("text,label\nhay,tốt\n", {"lang": "vi"}, "data.options.lang: not an option"),
    ("text,label\n", {}, "no data rows"),
]


@pytest.mark.parametrize(("content", "options", "message"), BAD_TEXTS)
def test_bad_text_csv_is_refused_naming_file_row_and_key(
    tmp_path: Path, content: str, options: dict, message: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(BadInput) as caught:
        load_texts(DataSpec(source=f"csv:{path}", options=options), seed=0)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_non_utf8_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncafé,x\nthé,y\n".encode("latin-1"))
    with pytest.raises(BadInput, match="is not UTF-8"):
        load_texts(DataSpec(source=f"csv:{path}"), seed=0)


def test_splits_are_stratified_and_seeded(tmp_path: Path) -> None:
    path = write_reviews(tmp_path / "reviews.csv", count=90)
    spec = DataSpec(source=f"csv:{path}", split={"val": 0.2, "test": 0.2})
    first, again = load_texts(spec, seed=3), load_texts(spec, seed=3)
    assert first.texts == again.texts
    assert [len(first.labels[s]) for s in ("train", "val", "test")] == [54, 18, 18]
    assert np.bincount(first.labels["test"]).tolist() == [6, 6, 6]


def test_most_confused_texts_by_hand() -> None:
    y_prob = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    rows = most_confused_texts(["a", "b", "c", "d"], np.array([1, 1, 1, 0]), y_prob, ["x", "y"])
    assert [(r["text"], r["predicted"]) for r in rows] == [("a", "x"), ("d", "y"), ("c", "x")]
    assert rows[0]["confidence"] == pytest.approx(0.9)
    binary = most_confused_texts(["a", "b"], np.array([0, 1]), np.array([[0.8], [0.3]]), ["n", "p"])
    assert [r["text"] for r in binary] == ["a", "b"]


def test_nearest_words_by_cosine() -> None:
    vocabulary = ["", "[UNK]", "tốt", "hay", "tệ"]
    vectors = np.array([[0, 0], [0, 0], [1, 0.1], [1, 0], [-1, 0]], np.float64)
    rows = nearest_words(vectors, vocabulary, ["tốt", "xin"], k=2)
    assert [n["word"] for n in rows[0]["neighbours"]] == ["hay", "tệ"]
    assert rows[0]["neighbours"][0]["cosine"] == pytest.approx(1 / np.sqrt(1.01))
    assert rows[1]["note"] == "not in the vocabulary"


@pytest.mark.parametrize("name", TEXT_ZOO)
def test_every_text_model_builds(name: str) -> None:
    model = text_classifier(name, 30, 8, head_for("multiclass", 3), {"embedding_dim": 4})
    ids = np.array([[2, 3, 4, 0, 0, 0, 0, 0]], np.int32)
    assert model.predict(ids, verbose=0).shape == (1, 3)
    assert model.get_layer("embedding").input_dim == 30


@pytest.mark.slow
def test_text_run_end_to_end_and_prediction_replays_the_vocabulary(tmp_path: Path) -> None:
    from dlworkflow.experiments.sequence_predict import predict_text

    write_reviews(tmp_path / "reviews.csv", count=120)
    (tmp_path / "text.yaml").write_text(
        "name: reviews\ntask: text\ndata: {source: csv:reviews.csv}\n"
        "text: {max_tokens: 500, sequence_length: 16, probes: [Tốt]}\n"
        "model: {zoo: mean, options: {embedding_dim: 8}}\n"
        "compile: {optimizer: {name: adam, lr: 0.02}}\ntrain: {epochs: 3, batch_size: 16}\n",
        encoding="utf-8",
    )
    done = run_dlw("run", "text.yaml", "--runs-dir", "runs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "runs" / "reviews"
    record = json.loads((folder / "sequence.json").read_text(encoding="utf-8"))
    assert (
        record["vectorizer"]["sequence_length"] == 16
        and "tốt" in record["vectorizer"]["vocabulary"]
    )
    assert record["evaluation"]["nearest_words"][0]["probe"] == "tốt"
    assert not list(folder.rglob("*.pkl")) and not list(folder.rglob("*.joblib"))
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="confused-texts"' in html and "PCA" in html
    labels = predict_text(folder, ["Sản phẩm rất tốt", "Quá tệ, thất vọng"])
    assert labels[0]["label"] in record["class_names"]
    assert sum(labels[0]["probabilities"].values()) == pytest.approx(1, abs=1e-5)
    cli = run_dlw("predict", "runs/reviews", "Điện thoại tuyệt vời", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)[0]["text"] == "Điện thoại tuyệt vời"
    empty = run_dlw("predict", "runs/reviews", "  ", cwd=tmp_path)
    assert empty.returncode == 2 and "text 1 is empty" in empty.stderr
    no_labels = tmp_path / "nolabel.csv"
    no_labels.write_text("text,kind\nhay,a\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(
        "name: bad\ntask: text\ndata: {source: csv:nolabel.csv}\n", encoding="utf-8"
    )
    refused = run_dlw("run", "bad.yaml", "--runs-dir", "runs", cwd=tmp_path)
    assert refused.returncode == 2 and "data.options.label: no column 'label'" in refused.stderr
    assert not (tmp_path / "runs" / "bad").exists()


def test_text_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlworkflow.config import load_config
    from dlworkflow.experiments.preparation import prepare_sequence

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    plan = prepare_sequence(load_config("examples/text_vi_bilstm.yaml"))
    vocabulary = plan.record["vocabulary_size"]
    # embedding V·16; BiLSTM(16) on 16: 2·4·(16·(16+16)+16); softmax over 3: 32·3+3
    assert plan.model.count_params() == vocabulary * 16 + 2 * 4 * (16 * 32 + 16) + 99
    assert plan.dataset.class_names == ["tiêu cực", "trung lập", "tích cực"]
