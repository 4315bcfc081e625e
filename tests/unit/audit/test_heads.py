"""Signed tree heads: where a head is kept is pinned, since verifiers look it up by name."""

from __future__ import annotations

from phr_share.audit import SignedTreeHead, TreeHead

ROOT = bytes(range(32))


def test_a_head_is_named_by_its_size_in_twelve_digits_and_its_root() -> None:
    signed = SignedTreeHead(TreeHead(42, ROOT, 1795345200000), "ab" * 32, bytes(64))
    assert signed.object_name == f"audit-heads/000000000042-{ROOT.hex()}.json"
    larger = SignedTreeHead(TreeHead(10**12, ROOT, 0), "ab" * 32, bytes(64))
    assert larger.object_name == f"audit-heads/1000000000000-{ROOT.hex()}.json"
