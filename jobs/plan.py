"""Batch sweeps, planning the shared work: the pending items grouped so that one engine
computes what they share (a photo's resize, masks and features) once, and each group cut
into chunks that a batchable node (fast style transfer) renders in one call."""

from __future__ import annotations

from pathlib import Path

from stylegraph.jobs.items import PreparedItem

BATCH_SIZE = 8  # renders per batched forward pass


def sharing_groups(prepared: list[PreparedItem]) -> list[list[PreparedItem]]:
    """Items grouped by their first ``--over`` value (the photo, usually), in order: one
    group's items share upstream work, so a group stays on one engine."""
    groups: dict[Path, list[PreparedItem]] = {}
    for entry in prepared:
        first = next(iter(entry.item.values.values()))
        groups.setdefault(first, []).append(entry)
    return list(groups.values())


def chunks(group: list[PreparedItem]) -> list[list[PreparedItem]]:
    """A group cut into runs of at most ``BATCH_SIZE`` items, in order."""
    return [group[i : i + BATCH_SIZE] for i in range(0, len(group), BATCH_SIZE)]


def plan(pending: list[PreparedItem]) -> list[list[list[PreparedItem]]]:
    """The pending items as groups (one engine each) of chunks (one batched call each)."""
    return [chunks(group) for group in sharing_groups(pending)]
