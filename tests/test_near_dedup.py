"""Near-duplicate detection: verified, deterministic, measured on the syndication set."""

from __future__ import annotations

import gzip
import json
import os

import polars as pl
import pytest
from cluster_scores import pair_scores
from conftest import SEEDS, SHARED, chained_copies, read_outputs, write_jsonl

from dqkit.dedup.index import index_lock

STORY = ("Die Stadtverwaltung hat am Dienstag beschlossen, die alte Brücke über den Fluss bis zum Herbst "
         "vollständig zu sanieren. Die Arbeiten sollen im Mai beginnen und rund zwölf Millionen Euro kosten. "
         "Anwohner hatten seit Jahren über Risse im Beton geklagt, sagte der Bürgermeister bei der Sitzung.")
OTHER = ("Der Sportverein feierte am Wochenende sein hundertjähriges Bestehen mit einem großen Fest auf dem "
         "Marktplatz. Mehr als tausend Gäste kamen, um mit den Mitgliedern zu feiern und alte Fotos anzusehen.")


def _records():
    return [
        {"id": "base", "text": STORY},
        {"id": "copy-footer", "text": "Lokales\n\n" + STORY + "\n\nFolgen Sie uns auf Facebook und Instagram"},
        {"id": "copy-trimmed", "text": STORY.rsplit(" Anwohner", 1)[0] + " Der Rat stimmte einstimmig zu."},
        {"id": "copy-mojibake", "text": STORY.replace("ü", "Ã¼").replace("ä", "Ã¤")},
        {"id": "other", "text": OTHER},
    ]


def test_copies_cluster_and_the_best_one_is_kept(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", _records())
    assert dqkit("clean", path, "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    assert sorted(result["clean"]["id"]) == ["base", "other"]
    rejects = result["rejects"].sort("id")
    assert rejects["reason"].to_list() == ["exact_duplicate", "exact_duplicate", "near_duplicate"]
    assert set(rejects["dup_of"]) == {"base"}
    trimmed = rejects.filter(pl.col("id") == "copy-trimmed")["similarity"].item()
    assert 0.5 <= trimmed < 1.0
    assert result["report"]["dedup"]["clusters"] == 1
    assert result["report"]["dedup"]["largest_clusters"][0]["size"] == 4



def test_a_copy_that_joined_through_another_names_it_with_both_similarities(tmp_path, dqkit):
    path = write_jsonl(tmp_path / "c.jsonl", chained_copies())
    assert dqkit("clean", path, "-o", tmp_path / "out", "--keep", "earliest").code == 0
    result = read_outputs(tmp_path / "out")
    rejects = {row["id"]: row for row in result["rejects"].iter_rows(named=True)}
    direct, chained = rejects["b-direct"], rejects["c-via-b"]
    assert direct["dup_of"] == chained["dup_of"] == "a-kept"
    assert direct["linked_via"] is None and direct["linked_via_similarity"] is None and direct["similarity"] >= 0.5
    assert chained["linked_via"] == "b-direct" and chained["similarity"] < 0.5 <= chained["linked_via_similarity"]
    assert chained["detail"] == (
        f"Jaccard {chained['similarity']} with a-kept, joined through b-direct (Jaccard {chained['linked_via_similarity']})"
    )
    (cluster,) = result["report"]["dedup"]["all_clusters"]
    assert cluster["kept"] == "a-kept" and cluster["size"] == 3
    assert [(c["id"], c["linked_via"]) for c in cluster["copies"]] == [("b-direct", None), ("c-via-b", "b-direct")]
    assert cluster["copies"][1]["linked_via_similarity"] == chained["linked_via_similarity"]
    exact = write_jsonl(tmp_path / "e.jsonl", [*chained_copies(), {"id": "z-same", "text": chained_copies()[0]["text"]}])
    assert dqkit("clean", exact, "-o", tmp_path / "exact", "--exact-only").code == 0
    (row,) = read_outputs(tmp_path / "exact")["rejects"].iter_rows(named=True)
    assert list(row)[:8] == ["id", "reason", "detail", "dup_of", "dup_of_batch", "similarity", "linked_via",
                             "linked_via_similarity"]
    assert (row["dup_of"], row["similarity"], row["linked_via"]) == ("a-kept", 1.0, None)


def test_a_copy_joins_through_a_document_of_an_earlier_batch(tmp_path, dqkit):
    """The first batch keeps PQ and removes PQR as its copy; a new QR matches PQR alone, so
    it names the accepted PQ and the earlier copy it came through."""
    kept, middle, last = chained_copies()
    write_jsonl(tmp_path / "b1.jsonl", [kept, middle])
    write_jsonl(tmp_path / "b2.jsonl", [{**last, "id": "new"}])
    index = tmp_path / "index"
    for batch in ("b1", "b2"):
        run = dqkit("clean", tmp_path / f"{batch}.jsonl", "-o", tmp_path / batch, "--index", index, "--batch", batch,
                    "--keep", "earliest")
        assert run.code == 0, run.err
    (row,) = read_outputs(tmp_path / "b2")["rejects"].iter_rows(named=True)
    assert (row["dup_of"], row["dup_of_batch"], row["linked_via"]) == ("a-kept", "b1", "b-direct")
    assert row["similarity"] < 0.5 <= row["linked_via_similarity"]

def test_keep_policies_and_modes(tmp_path, dqkit):
    records = [{"id": "short", "text": STORY}, {"id": "long", "text": STORY + " Die Bauzeit beträgt acht Monate."}]
    path = write_jsonl(tmp_path / "c.jsonl", records)
    for keep, kept in (("earliest", "short"), ("longest", "long"), ("best", "long")):
        assert dqkit("clean", path, "-o", tmp_path / keep, "--keep", keep).code == 0
        assert read_outputs(tmp_path / keep)["clean"]["id"].to_list() == [kept]
    assert dqkit("clean", path, "-o", tmp_path / "exact", "--exact-only").code == 0
    assert read_outputs(tmp_path / "exact")["clean"].height == 2
    assert dqkit("clean", path, "-o", tmp_path / "none", "--no-dedup").code == 0
    assert read_outputs(tmp_path / "none")["clean"].height == 2


def test_the_five_seeds_are_not_duplicates(tmp_path, dqkit):
    assert dqkit("clean", SEEDS, "-o", tmp_path / "out", "--threshold", "0.1").code == 0
    assert read_outputs(tmp_path / "out")["clean"].height == 5


SYNDICATION = SHARED / "data" / "syndication-dev"


@pytest.mark.skipif(not SYNDICATION.exists(), reason="../shared/data/syndication-dev is not available")
def test_syndication_dev_clusters(tmp_path, dqkit):
    assert dqkit("clean", SYNDICATION / "docs.jsonl.gz", "-o", tmp_path / "out").code == 0
    result = read_outputs(tmp_path / "out")
    predicted = {i: i for i in result["clean"]["id"]}
    predicted.update(dict(result["rejects"].select("id", "dup_of").iter_rows()))
    truth = {json.loads(line)["id"]: json.loads(line)["cluster_id"]
             for line in (SYNDICATION / "truth.jsonl").read_text().splitlines()}
    assert set(predicted) == set(truth)
    scores = pair_scores(predicted, truth)
    assert scores["f1"] >= 0.95, scores
    negatives = [json.loads(line) for line in gzip.open(SYNDICATION / "pairs.jsonl.gz", "rt")]
    merged = [p for p in negatives if not p["duplicate"] and predicted[p["a"]] == predicted[p["b"]]]
    assert merged == []


def _cluster_map(out) -> dict:
    result = read_outputs(out)
    mapping = {i: i for i in result["clean"]["id"]}
    mapping.update(dict(result["rejects"].select("id", "dup_of").iter_rows()))
    return mapping


def test_incremental_index_names_the_earlier_document_and_batch(tmp_path, dqkit):
    records = _records()
    write_jsonl(tmp_path / "b1.jsonl", records[:1] + records[4:])
    write_jsonl(tmp_path / "b2.jsonl", records[1:4])
    index = tmp_path / "index"
    assert dqkit("clean", tmp_path / "b1.jsonl", "-o", tmp_path / "out1", "--index", index, "--batch", "one").code == 0
    assert dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out2", "--index", index, "--batch", "two").code == 0
    second = read_outputs(tmp_path / "out2")
    assert second["clean"].is_empty()
    rejects = second["rejects"].sort("id")
    assert set(rejects["dup_of"]) == {"base"} and set(rejects["dup_of_batch"]) == {"one"}
    assert all("(batch one)" in d for d in rejects["detail"])
    # A batch name is used once; other parameters are refused; a second writer is refused.
    run = dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out3", "--index", index, "--batch", "two")
    assert run.code == 1 and "already holds a batch named 'two'" in run.err
    run = dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out3", "--index", index, "--threshold", "0.6")
    assert run.code == 1 and "other parameters (threshold" in run.err
    with index_lock(index):  # another writer holds the index (a stale lock file alone holds nothing)
        run = dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out3", "--index", index, "--batch", "three")
    assert run.code == 1 and f"in use by another run (lock held by process {os.getpid()})" in run.err
    (index / "index.lock").write_text("12345")  # left by a killed run: taken over
    run = dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out3", "--index", index, "--batch", "three")
    assert run.code == 0, run.err
    assert not (index / "index.lock").exists()


def test_a_corrupt_index_is_refused_and_left_alone(tmp_path, dqkit):
    write_jsonl(tmp_path / "b1.jsonl", _records()[:1])
    index = tmp_path / "index"
    assert dqkit("clean", tmp_path / "b1.jsonl", "-o", tmp_path / "out1", "--index", index).code == 0
    (index / "signatures.parquet").write_bytes(b"not parquet")
    run = dqkit("clean", tmp_path / "b1.jsonl", "-o", tmp_path / "out2", "--index", index, "--batch", "again")
    assert run.code == 1 and "the index is corrupt" in run.err and "Traceback" not in run.err
    assert (index / "signatures.parquet").read_bytes() == b"not parquet"
    assert not (index / "index.lock").exists()


@pytest.mark.skipif(not SYNDICATION.exists(), reason="../shared/data/syndication-dev is not available")
def _rewrite_signatures(index, change):
    frame = pl.read_parquet(index / "signatures.parquet")
    change(frame).write_parquet(index / "signatures.parquet")


def _edit_json(index, name, change):
    path = index / name
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


@pytest.mark.parametrize("damage, message", [
    (lambda i: (i / "signatures.parquet").unlink(), "is incomplete: signatures.parquet is missing"),
    (lambda i: (i / "batches.json").unlink(), "is incomplete: batches.json is missing"),
    (lambda i: (i / "params.json").unlink(), "is incomplete: params.json is missing"),
    (lambda i: _edit_json(i, "batches.json", lambda b: {"batches": b}), "batches.json: the index is corrupt (an object"),
    (lambda i: _edit_json(i, "batches.json", lambda b: [1, 2]), "batches.json: the index is corrupt (a batch name that"),
    (lambda i: (i / "batches.json").write_text('["one", NaN]'), "batches.json: not strict JSON: NaN"),
    (lambda i: (i / "batches.json").write_bytes(b'["caf\xe9"]'), "batches.json: not UTF-8 text"),
    (lambda i: (i / "batches.json").write_text(""), "batches.json: an empty file"),
    (lambda i: (i / "batches.json").write_text("[" * 100_000), "batches.json: JSON nested too deeply"),
    (lambda i: _edit_json(i, "params.json", lambda p: list(p)), "params.json: the index is corrupt (a list where"),
    (lambda i: _edit_json(i, "params.json", lambda p: {**p, "num_perm": "128"}), "('num_perm' is a string, not a number"),
    (lambda i: _edit_json(i, "params.json", lambda p: {k: v for k, v in p.items() if k != "ngram"}), "(no 'ngram')"),
    (lambda i: (i / "params.json").write_text((i / "params.json").read_text().replace("0.5", "NaN")), "NaN"),
    (lambda i: _rewrite_signatures(i, lambda f: f.with_columns(pl.lit(1).alias("id"))), "columns id: Int32"),
    (lambda i: _rewrite_signatures(i, lambda f: f.with_columns(pl.col("signature").list.head(5))),
     "a signature not of 128"),
    (lambda i: _rewrite_signatures(i, lambda f: f.with_columns(pl.lit("nobody").alias("dup_of"))),
     "a dup_of that is no document of it"),
    (lambda i: _rewrite_signatures(i, lambda f: f.with_columns(pl.lit("zero").alias("batch"))),
     "a batch that batches.json does not list"),
])
def test_a_damaged_index_is_refused_before_any_work(tmp_path, dqkit, damage, message):
    """A part missing or of the wrong shape is found when the index is opened: the run stops
    before any work (it used to take a missing part for an empty index and keep the copies, or
    fail after OUT was written), and the index stays as it was."""
    records = _records()
    write_jsonl(tmp_path / "b1.jsonl", records[:1])
    write_jsonl(tmp_path / "b2.jsonl", records[1:])
    index = tmp_path / "index"
    assert dqkit("clean", tmp_path / "b1.jsonl", "-o", tmp_path / "out1", "--index", index, "--batch", "one").code == 0
    damage(index)
    before = {p.name: p.read_bytes() for p in index.iterdir()}
    run = dqkit("clean", tmp_path / "b2.jsonl", "-o", tmp_path / "out2", "--index", index, "--batch", "two")
    assert run.code == 1 and message in run.err and "Traceback" not in run.err
    assert run.err.startswith("dqkit: error: ") and len(run.err.strip().splitlines()) == 1 and str(index) in run.err
    assert {p.name: p.read_bytes() for p in index.iterdir()} == before
    assert not (tmp_path / "out2").exists() and not (tmp_path / ".out2.work").exists()


@pytest.mark.skipif(not SYNDICATION.exists(), reason="../shared/data/syndication-dev is not available")
def test_two_batches_with_an_index_cluster_like_one_run(tmp_path, dqkit):
    records = [json.loads(line) for line in gzip.open(SYNDICATION / "docs.jsonl.gz", "rt", encoding="utf-8")]
    half = len(records) // 2
    write_jsonl(tmp_path / "all.jsonl", records)
    write_jsonl(tmp_path / "b1.jsonl", records[:half])
    write_jsonl(tmp_path / "b2.jsonl", records[half:])
    assert dqkit("clean", tmp_path / "all.jsonl", "-o", tmp_path / "all").code == 0
    for name in ("b1", "b2"):
        assert dqkit("clean", tmp_path / f"{name}.jsonl", "-o", tmp_path / name, "--index", tmp_path / "index").code == 0

    def partition(mapping):
        groups = {}
        for item, kept in mapping.items():
            groups.setdefault(kept, set()).add(item)
        return sorted(sorted(g) for g in groups.values())

    one_run = _cluster_map(tmp_path / "all")
    batches = {**_cluster_map(tmp_path / "b1"), **_cluster_map(tmp_path / "b2")}
    # batch-2 copies of batch-1 documents point at them (and so join their clusters)
    first = set(records[i]["id"] for i in range(half))
    second_rejects = read_outputs(tmp_path / "b2")["rejects"]
    into_first = second_rejects.filter(pl.col("dup_of").is_in(list(first)))
    assert into_first.height > 0 and set(into_first["dup_of_batch"]) == {"b1"}
    merged = {}
    for item, kept in batches.items():
        while batches.get(kept, kept) != kept:
            kept = batches[kept]
        merged[item] = kept
    # The same clusters, except where a batch-2 copy bridges two documents that batch 1
    # had already accepted apart: an accepted document is never taken back.
    agreement = pair_scores(merged, one_run)
    assert agreement["precision"] == 1.0 and agreement["recall"] >= 0.995, agreement
    different = [g for g in partition(merged) if g not in partition(one_run)]
    assert len(different) <= 2, different


def test_numpy_banding_gives_the_same_candidates_as_datasketch_lsh():
    from datasketch import LeanMinHash, MinHashLSH

    from dqkit.dedup.lsh import candidate_pairs, lsh_bands
    from dqkit.dedup.near import NearDupOptions
    from dqkit.dedup.signatures import signatures
    from near_reference import query_pairs  # benchmarks/: the reference the benchmark measures against too

    texts = [r["text"] for r in _records()] + [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    texts += [STORY.replace("Brücke", f"Brücke Nummer {i}") for i in range(5)]
    matrix, _ = signatures(texts)
    options = NearDupOptions()
    lsh = MinHashLSH(num_perm=options.num_perm, params=lsh_bands(options))
    expected = query_pairs(lsh, [LeanMinHash(seed=1, hashvalues=row, scheme="affine32") for row in matrix])
    assert len(expected) > 10
    assert candidate_pairs(matrix, options) == expected


@pytest.mark.parametrize("num_perm", [32, 128])
def test_bands_and_rows_are_chosen_as_datasketch_chooses_them(num_perm):
    """dqkit.dedup.banding integrates without scipy; the choice must be MinHashLSH's. Where
    the best choice is one band, MinHashLSH refuses to build; dqkit bands with one."""
    from datasketch import MinHashLSH

    from dqkit.dedup.banding import optimal_bands

    for threshold in [0.05, *(k / 20 for k in range(1, 20)), 0.72, 0.88, 0.99]:
        chosen = optimal_bands(threshold, num_perm)
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError as refused:
            assert "b < 2" in str(refused) and chosen[0] == 1, (threshold, chosen)
            continue
        assert chosen == (lsh.b, lsh.r), threshold


def test_a_corpus_with_fewer_words_than_one_ngram_still_gets_signatures():
    """Found by the property test: two documents of one word each (total < ngram) crashed the shifting."""
    from dqkit.dedup.signatures import Scheme, signatures

    matrix, shingles = signatures(["0:0", "Wort"], Scheme(num_perm=16, ngram=5))
    assert matrix.shape == (2, 16) and [len(s) for s in shingles] == [1, 1]
    assert not (matrix[0] == matrix[1]).all()


def test_a_document_longer_than_a_chunk_gets_the_same_signature_a_slice_at_a_time(monkeypatch):
    """A long document's shingles are permuted a slice at a time (memory stays bounded by the
    slice, not the document); the signature is the one computed in one go."""
    from dqkit.dedup import signatures as module

    texts = [" ".join(f"w{i % 997} x{i % 13}" for i in range(5000)), "short text of a few words here", ""]
    whole, _ = module.signatures(texts)
    monkeypatch.setattr(module, "CHUNK_SHINGLES", 64)
    sliced, shingles = module.signatures(texts)
    assert len(shingles[0]) > 64 * 10  # really sliced
    assert (whole == sliced).all()


def test_minhash_memory_is_bounded_by_a_slice_not_the_document():
    """200k shingles x 128 permutations would be 100 MB in one go; sliced it stays small
    (numpy reports its arrays to tracemalloc)."""
    import tracemalloc

    import numpy as np

    from dqkit.dedup.signatures import Shingles, minhash

    shingles = Shingles(np.arange(200_000, dtype=np.uint32), np.array([0, 200_000]))
    tracemalloc.start()
    minhash(shingles, 128)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 << 20, peak


def test_a_threshold_that_wants_one_band_runs(tmp_path, dqkit):
    """--threshold 0.99 --num-perm 16 is best banded with one band: datasketch's MinHashLSH
    refused it with a traceback; dqkit bands with one and verifies as always."""
    run = dqkit("clean", SEEDS, "-o", tmp_path / "out", "-q", "--threshold", "0.99", "--num-perm", "16")
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "out" / "report.json").read_text())["documents"]["kept"] == 5


# --- signatures pinned: an index built by an earlier version must stay valid ----------------

PINNED_TEXTS = [
    "", "   \n\t  ", "!!! ... —— “” «» © ® ™ + = < > | ~ ^ `", "one", "Two words", "Drei, vier; fünf!",
    "exactly four words here", "Exactly five words are here.", "Six words, exactly six, no more",
    "Straße STRASSE straße Maß MASS", "ΟΔΥΣΣΕΥΣ σοφός Ὀδυσσεύς ΣΟΦΟΣ λόγος", "İSTANBUL ıi Iı DİYARBAKIR ığdır",
    "東京都は日本の首都です。人口は約一千四百万人、面積は二千平方キロメートル。", "😀 smile 👍🏽 thumbs-up ✨sparkle✨ 3.5 % €10",
    "e\u0301te\u0301 cafe\u0301 caf\u00e9 na\u00efve nai\u0308ve", "non\u00a0breaking\u2009thin\u200bzero\u3000ideographic",
    "مرحبا بالعالم، هذا نص عربي قصير للاختبار", "नमस्ते दुनिया यह एक छोटा हिंदी पाठ है", "don't can't O'Neill well-known e-mail x_y a/b",
    "line\nbreaks\r\nand\ttabs\u2028separator\u0085next\x0bvertical\x0cfeed end",
    "Tab\tSeparated\tValues\tin\tone\tline\tof\ttext", "MiXeD CaSe ÀÉÎÕÜ àéîõü ǅ ǈ ǋ ﬁ ﬀ Ⅻ ①②",
]


def _pinned_corpus() -> list[str]:
    """Texts whose signatures are pinned: the hostile ones above, 300-word documents (several
    share one chunk of the permutation step), a near-copy of every sixth, and one document of
    20,000 words (more shingles than one chunk)."""
    vocabulary = [f"{stem}{k}" for k in range(40) for stem in ("wort", "λέξη", "слово", "kelime", "ord")]
    state = 20241022

    def word() -> str:  # a fixed linear congruential sequence: the same words on every Python
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        return vocabulary[(state >> 33) % len(vocabulary)]

    texts = list(PINNED_TEXTS)
    for i in range(60):
        words = [word() for _ in range(300)]
        texts.append(" ".join(words))
        if i % 6 == 0:  # a near-copy: a few words changed, other punctuation and case
            copy = [w.upper() if k % 97 == 0 else w for k, w in enumerate(words[:290])]
            texts.append(", ".join(copy) + " — Ende.")
    texts.append(" ".join(word() for _ in range(20_000)))
    return texts


def _digest(*arrays) -> str:
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()[:24]


@pytest.mark.parametrize(
    "num_perm, ngram, matrix_digest, shingle_digest",
    [
        (128, 5, "a1469f686b7928e48fe9061c", "70f37f2021288c556eb1ea93"),
        (16, 3, "d418f8dfabdb5778d1e21d67", "8719dbdb2565f5ee0686ec08"),
    ],
)
def test_signatures_are_the_ones_earlier_versions_computed(num_perm, ngram, matrix_digest, shingle_digest):
    """A persistent index keeps signatures, not texts: a faster signature path must give the
    same bits, or every stored index would silently stop matching. Digests computed with the
    code of baef80b (before the issue 17 speed work); None stands for a null text."""
    import numpy as np

    from dqkit.dedup.signatures import Scheme, signatures

    texts = pl.Series([*_pinned_corpus(), None], dtype=pl.String)
    matrix, shingles = signatures(texts, Scheme(num_perm=num_perm, ngram=ngram))
    lengths = np.array([len(s) for s in shingles], dtype=np.int64)
    assert matrix.shape == (len(texts), num_perm) and matrix.dtype == np.uint32
    # the corpus covers what it should: a text beyond one chunk, empty ones, ones shorter than an n-gram
    assert lengths.max() > 16_000 and (lengths == 0).sum() == 4 and (lengths == 1).sum() >= 4
    assert _digest(lengths, np.concatenate(shingles)) == shingle_digest
    assert _digest(matrix) == matrix_digest


def test_lsh_candidates_of_the_pinned_corpus_are_unchanged():
    from dqkit.dedup.lsh import candidate_pairs
    from dqkit.dedup.near import NearDupOptions
    from dqkit.dedup.signatures import signatures

    # the three empty texts (all slots 2^32-1) and each near-copy with its original
    expected = [(0, 1), (0, 2), (1, 2), *((k, k + 1) for k in range(22, 86, 7))]
    matrix, _ = signatures(_pinned_corpus())
    for threshold in (0.4, 0.5, 0.8):
        assert sorted(candidate_pairs(matrix, NearDupOptions(threshold=threshold))) == expected


def test_the_ranking_length_counts_each_white_space_run_once():
    """``_length`` is the length with every white-space run replaced by one space (as it was
    computed before it was made faster), on hostile white space."""
    from dqkit.dedup.near import ranking_columns

    texts = pl.DataFrame({"text": [
        "", None, " ", "  ", "a", " a ", "a  b\t\tc\n\n\nd", "\r\n\u00a0\u2028x\u3000\u3000y \u0085 ", "\t" * 50,
        "ünï  cödé\u2009\u2009 ✨  ", "no runs at all here",
    ]})
    expected = texts.select(pl.col("text").str.replace_all(r"\s+", " ").str.len_chars().alias("_length"))
    assert texts.select(ranking_columns(pl.col("text"))).equals(expected)
