"""Cell features through one function: task family, the cell's own features, URIEL+ distances by the cell's languages."""

import math

import pandas as pd

from proxylm_harness.features.cells import cell_feature_frame, cell_feature_group, unknown_languages


class _Typology:
    """Stands in for URIEL+: a distance of 0 between a language and itself, else 0.5; 'xxx' unknown."""

    def __init__(self):
        self.asked = []

    def distance_frame(self, pairs, errors="raise"):
        from proxylm_harness.languages.typology import DISTANCE_KINDS

        self.asked += list(pairs)
        rows = [[math.nan] * 6 if "xxx" in pair else [0.0 if pair[0] == pair[1] else 0.5] * 6 for pair in pairs]
        return pd.DataFrame(rows, columns=list(DISTANCE_KINDS))


def _cells(rows):
    return pd.DataFrame(rows, columns=["family", "source_lang", "target_lang", "features"],
                        index=[f"c{i}" for i in range(len(rows))])


def test_monolingual_cells_are_measured_against_english_and_crosslingual_ones_by_their_pair():
    typology = _Typology()
    cells = _cells([("xnli", "swa", "swa", {}), ("xnli", "eng", "eng", {}),
                    ("intent", "deu", "fra", {"train_size": 3.0}), ("intent", "fra", "fra", {"train_size": 4.0})])
    frame = cell_feature_frame(cells, typology=typology)
    assert typology.asked == [("swa", "eng"), ("eng", "eng"), ("deu", "fra"), ("fra", "fra")]
    assert list(frame.index) == list(cells.index)
    assert frame.loc["c0", "uriel_genetic"] == 0.5 and frame.loc["c1", "uriel_genetic"] == 0.0
    assert frame.loc["c3", "uriel_genetic"] == 0.0  # a same-language pair in a cross-lingual family
    assert frame.loc["c2", "task=intent"] == 1.0 and frame.loc["c0", "task=xnli"] == 1.0
    assert math.isnan(frame.loc["c0", "train_size"]) and frame.loc["c2", "train_size"] == 3.0
    groups = {c: cell_feature_group(c) for c in frame.columns}
    assert groups == {"task=intent": "task", "task=xnli": "task", "train_size": "document",
                      **{c: "typology" for c in frame.columns if c.startswith("uriel_")}}
    assert cell_feature_group("genetic") == "typology"  # ProxyLM's lang2vec columns


def test_a_language_urielplus_does_not_know_gives_nan_and_is_named():
    cells = _cells([("xnli", "xxx", "xxx", {}), ("xnli", "swa", "swa", {}), ("xnli", None, None, {})])
    frame = cell_feature_frame(cells, typology=_Typology())
    assert frame.loc["c0"].isna().all() and not frame.loc["c1"].isna().any()
    assert unknown_languages(cells, frame).tolist() == ["xxx", "", ""]
    assert list(cell_feature_frame(cells, uriel=False).columns) == []
