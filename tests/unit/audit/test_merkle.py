"""The Merkle tree: Certificate Transparency's known answers, and every proof of every shape."""

from __future__ import annotations

import hashlib

import pytest

from phr_share.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    frontier_append,
    frontier_root,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 test data as Certificate Transparency's reference implementation publishes it:
# eight leaves, and the root of the first n of them for n = 0..8.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
HASHES = [leaf_hash(leaf) for leaf in CT_LEAVES]
MANY = [leaf_hash(i.to_bytes(2, "big")) for i in range(41)]


def _mth(leaves: list[bytes]) -> bytes:
    """The RFC's recursive definition, written out as plainly as it is printed."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_the_hashes_carry_the_domain_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_certificate_transparency(size: int) -> None:
    assert MerkleTree(HASHES[:size]).root().hex() == CT_ROOTS[size]
    assert MerkleTree(HASHES).root(size).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_certificate_transparency(
    index: int, size: int, path: list[str]
) -> None:
    proof = MerkleTree(HASHES).inclusion_proof(index, size)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(HASHES[index], index, size, proof, root)


@pytest.mark.parametrize(("old", "size", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_certificate_transparency(
    old: int, size: int, path: list[str]
) -> None:
    proof = MerkleTree(HASHES).consistency_proof(old, size)
    assert [p.hex() for p in proof] == path
    roots = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[size])
    assert verify_consistency(old, size, *roots, proof)


def test_the_frontier_gives_every_root_as_leaves_are_appended() -> None:
    frontier: list[bytes] = []
    assert frontier_root(frontier) == EMPTY_ROOT
    for size, leaf in enumerate(MANY):
        frontier = frontier_append(frontier, size, leaf)
        assert len(frontier) == bin(size + 1).count("1")
        assert frontier_root(frontier) == _mth(MANY[: size + 1])


def test_every_inclusion_proof_verifies_and_no_mangled_one_does() -> None:
    tree = MerkleTree(MANY)
    for size in range(1, len(MANY) + 1):
        root = tree.root(size)
        assert root == _mth(MANY[:size])
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            leaf = MANY[index]
            assert verify_inclusion(leaf, index, size, proof, root)
            assert not verify_inclusion(MANY[index - 1], index, size, proof, root) or size == 1
            assert not verify_inclusion(leaf, index, size, [*proof, leaf], root)
            if proof:
                assert not verify_inclusion(leaf, index, size, proof[:-1], root)
                bent = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not verify_inclusion(leaf, index, size, bent, root)
                assert not verify_inclusion(leaf, index ^ 1, size, proof, root)


def test_every_consistency_proof_verifies_and_no_mangled_one_does() -> None:
    tree = MerkleTree(MANY)
    roots = [tree.root(n) for n in range(len(MANY) + 1)]
    for size in range(len(MANY) + 1):
        for old in range(size + 1):
            proof = tree.consistency_proof(old, size)
            assert verify_consistency(old, size, roots[old], roots[size], proof)
            if 0 < old < size:
                assert proof
                assert not verify_consistency(old, size, roots[old], roots[size], proof[:-1])
                assert not verify_consistency(old, size, roots[old - 1], roots[size], proof)
                assert not verify_consistency(old, size, roots[old], roots[size - 1], proof)
                bent = [*proof[:-1], bytes([proof[-1][0] ^ 1]) + proof[-1][1:]]
                assert not verify_consistency(old, size, roots[old], roots[size], bent)


def test_degenerate_and_malformed_proofs_are_refused() -> None:
    root = bytes.fromhex(CT_ROOTS[8])
    proof = MerkleTree(HASHES).inclusion_proof(5)
    assert not verify_inclusion(HASHES[5], 8, 8, proof, root)
    assert not verify_inclusion(HASHES[5], -1, 8, proof, root)
    assert not verify_inclusion(HASHES[5][:31], 5, 8, proof, root)
    assert not verify_inclusion(HASHES[5], 5, 8, [proof[0][:31], *proof[1:]], root)
    four = bytes.fromhex(CT_ROOTS[4])
    assert verify_consistency(4, 4, four, four, [])
    assert not verify_consistency(4, 4, four, root, [])
    assert not verify_consistency(4, 4, four, four, [four])
    assert verify_consistency(0, 8, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 8, four, root, [])
    assert not verify_consistency(6, 8, four, root, [])
    assert not verify_consistency(8, 6, root, four, [])


def test_sizes_beyond_the_leaves_are_programming_errors() -> None:
    tree = MerkleTree(HASHES)
    with pytest.raises(ValueError, match="tree size"):
        tree.root(9)
    with pytest.raises(ValueError, match="leaf index"):
        tree.inclusion_proof(8)
    with pytest.raises(ValueError, match="old tree"):
        tree.consistency_proof(6, 5)
