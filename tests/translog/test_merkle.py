"""Our Merkle tree, tiles and signed notes against Go's golang.org/x/mod/sumdb/tlog and note (the
vectors in tests/translog/vectors, made by the Go program beside them), byte for byte; and properties
of the proofs for random trees: every proof verifies, and any altered hash, index or size fails."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.translog.conftest import go_leaf
from translog import merkle, tiles
from translog.note import Checkpoint, NoteError, Signer, Verifier, open_note, sign

BIG = 70000


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


@pytest.fixture(scope="module")
def tree() -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(go_leaf(i)) for i in range(BIG))


def test_leaf_hashes_and_roots_are_gos(tree, vectors):
    assert [b64(tree.levels[0][i]) for i in range(40)] == vectors["leaf_hashes"]
    assert {n: b64(tree.root(int(n))) for n in vectors["roots"]} == vectors["roots"]
    assert len(vectors["roots"]) >= 20


def test_inclusion_proofs_are_gos(tree, vectors):
    assert len(vectors["inclusion"]) > 100
    for case in vectors["inclusion"]:
        proof = merkle.prove_inclusion(case["index"], case["size"], tree.read)
        assert [b64(h) for h in proof] == case["proof"], case
        leaf = tree.levels[0][case["index"]]
        assert merkle.verify_inclusion(case["index"], case["size"], leaf, proof, tree.root(case["size"]))


def test_consistency_proofs_are_gos(tree, vectors):
    assert len(vectors["consistency"]) > 100
    for case in vectors["consistency"]:
        proof = merkle.prove_consistency(case["old"], case["new"], tree.read)
        assert [b64(h) for h in proof] == case["proof"], case
        assert merkle.verify_consistency(
            case["old"], case["new"], tree.root(case["old"]), tree.root(case["new"]), proof
        )


def _tile_bytes(tree: merkle.MemoryTree, t: tiles.Tile) -> bytes:
    assert t.level is not None
    row = tree.levels[t.level * tiles.HEIGHT]
    return b"".join(row[t.index * tiles.WIDTH : t.index * tiles.WIDTH + t.width])


def test_tiles_and_their_paths_are_gos(tree, vectors):
    for size, expected in vectors["tiles"].items():
        small = merkle.MemoryTree(tree.levels[0][: int(size)])
        for path, digest in expected.items():
            t = tiles.parse(path.removeprefix("tile/"))
            assert t.path() == path
            assert hashlib.sha256(_tile_bytes(small, t)).hexdigest() == digest, path
    assert {"tile/1/001.p/17", "tile/2/000.p/1", "tile/0/273.p/112"} <= set(vectors["tiles"][str(BIG)])


def test_tile_paths_are_written_one_way():
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.parse("0/x001/x234/067.p/8") == tiles.Tile(0, 1234067, 8)
    assert tiles.parse("entries/000") == tiles.Tile(None, 0)
    for bad in ["0/x000/001", "0/1", "0/000.p/0", "0/000.p/256", "0/000.p/012", "01/000", "x/000", "0/x001"]:
        with pytest.raises(tiles.TilePathError):
            tiles.parse(bad)


def test_entry_bundles_round_trip():
    entries = [b"", b"a", "第一条".encode(), bytes(range(256)) * 3]
    assert tiles.unbundle(tiles.bundle(entries)) == entries
    with pytest.raises(ValueError):
        tiles.unbundle(tiles.bundle(entries)[:-1])


def test_the_signed_checkpoint_is_gos_byte_for_byte(vectors):
    note = vectors["note"]
    signer = Signer.from_seed(vectors["name"], base64.b64decode(note["seed_b64"]))
    assert signer.verifier.encode() == note["vkey"]
    assert sign(note["text"], signer) == note["signed"]
    opened = open_note(note["signed"].encode(), [Verifier.parse(note["vkey"])])
    cp = Checkpoint.parse(opened.text)
    assert (cp.origin, cp.size, b64(cp.root)) == (vectors["name"], BIG, vectors["roots"][str(BIG)])


def test_an_altered_note_does_not_open(vectors):
    note = vectors["note"]
    verifier = Verifier.parse(note["vkey"])
    forged = note["signed"].replace(str(BIG), str(BIG + 1), 1)
    with pytest.raises(NoteError):
        open_note(forged.encode(), [verifier])
    other = Signer.from_seed(vectors["name"], b"\x07" * 32)
    with pytest.raises(NoteError, match="no signature by a known key"):
        open_note(sign(note["text"], other).encode(), [verifier])


def test_go_opens_our_signed_note(go_tool, tmp_path):
    signer = Signer.from_seed("crosstrust.example/tlog", hashlib.sha256(b"ours").digest())
    text = Checkpoint("crosstrust.example/tlog", 3, hashlib.sha256(b"root").digest()).text()
    path = tmp_path / "note"
    path.write_text(sign(text, signer), encoding="utf-8")
    out = subprocess.run(
        [str(go_tool), "verify-note", signer.verifier.encode(), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == text
    path.write_text(sign(text.replace("\n3\n", "\n4\n"), signer).replace("\n4\n", "\n3\n"), encoding="utf-8")
    refused = subprocess.run(
        [str(go_tool), "verify-note", signer.verifier.encode(), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0


# One tree for every example: the tree of any size n is its prefix, read as of n leaves.
T = merkle.MemoryTree(merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(1300))


def _flip(h: bytes, at: int) -> bytes:
    return h[:at] + bytes([h[at] ^ 1]) + h[at + 1 :]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 600).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))), st.data())
def test_every_inclusion_proof_verifies_and_any_alteration_fails(case, data):
    """An altered size is checked with that size's own root: a checkpoint signs the two together."""
    size, index = case
    root, leaf = T.root(size), T.levels[0][index]
    proof = merkle.prove_inclusion(index, size, T.read)
    assert merkle.verify_inclusion(index, size, leaf, proof, root)
    assert not merkle.verify_inclusion(index, size, _flip(leaf, data.draw(st.integers(0, 31))), proof, root)
    assert not merkle.verify_inclusion(index, size, leaf, proof, _flip(root, data.draw(st.integers(0, 31))))
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof[:k], _flip(proof[k], data.draw(st.integers(0, 31))), *proof[k + 1 :]]
        assert not merkle.verify_inclusion(index, size, leaf, altered, root)
        assert not merkle.verify_inclusion(index, size, leaf, proof[:-1], root)
    assert not merkle.verify_inclusion(index, size, leaf, [*proof, proof[0] if proof else leaf], root)
    other = data.draw(st.integers(0, size + 5).filter(lambda i: i != index))
    assert not merkle.verify_inclusion(other, size, leaf, proof, root)
    resized = data.draw(st.integers(1, 2 * size + 2).filter(lambda n: n != size))
    assert not merkle.verify_inclusion(index, resized, leaf, proof, T.root(resized))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 600).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))), st.data())
def test_every_consistency_proof_verifies_and_any_alteration_fails(case, data):
    old, new = case
    old_root, new_root = T.root(old), T.root(new)
    proof = merkle.prove_consistency(old, new, T.read)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    at = data.draw(st.integers(0, 31))
    assert not merkle.verify_consistency(old, new, _flip(old_root, at), new_root, proof)
    assert not merkle.verify_consistency(old, new, old_root, _flip(new_root, at), proof)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        altered = [*proof[:k], _flip(proof[k], at), *proof[k + 1 :]]
        assert not merkle.verify_consistency(old, new, old_root, new_root, altered)
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
    other_old = data.draw(st.integers(1, new + 3).filter(lambda n: n != old))
    assert not merkle.verify_consistency(other_old, new, T.root(other_old), new_root, proof)
    other_new = data.draw(st.integers(1, 2 * new + 2).filter(lambda n: n != new))
    assert not merkle.verify_consistency(old, other_new, old_root, T.root(other_new), proof)
    if old != new:
        assert not merkle.verify_consistency(new, old, new_root, old_root, proof)


def test_proofs_of_sizes_out_of_range_are_refused():
    t = merkle.MemoryTree(T.levels[0][:5])
    for index, size in [(5, 5), (-1, 5), (0, 0)]:
        with pytest.raises(merkle.ProofError):
            merkle.prove_inclusion(index, size, t.read)
    for old, new in [(0, 5), (6, 5), (3, 2)]:
        with pytest.raises(merkle.ProofError):
            merkle.prove_consistency(old, new, t.read)
    with pytest.raises(merkle.ProofError, match="no node"):
        merkle.prove_inclusion(0, 8, t.read)
