"""The optimal batch plan: volunteers assigned to many tasks at once, so that the total score
is the greatest under every task's free places and every volunteer's limit, solved exactly as
a min-cost flow (OR-Tools ``SimpleMinCostFlow``), never greedily.

Pure: no I/O. ``plan(tasks, volunteers, now)`` returns ``Plan(pairings, total_points,
arcs)``. For a bare solve of the same graph: ``flow_graph(tasks, volunteers,
eligible_pairs(tasks, volunteers, now))`` gives the arrays for
``SimpleMinCostFlow.add_arcs_with_capacity_and_unit_cost`` and the supply. Eligibility and
the score are the engine's own (``domain.matching``), over the same input shapes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]

from matching.domain.matching import TaskSpec, VolunteerArrays, VolunteerSpec


@dataclass(frozen=True)
class Pairing:
    task_id: Hashable
    volunteer_id: Hashable
    points: int


@dataclass(frozen=True)
class Plan:
    pairings: tuple[Pairing, ...]
    total_points: int
    arcs: int  # eligible (volunteer, task) pairs in the graph


@dataclass(frozen=True)
class Pairs:
    """Every eligible (task, volunteer) pair with its points, as parallel arrays."""

    tasks: np.ndarray
    volunteers: np.ndarray
    points: np.ndarray

    def __len__(self) -> int:
        return len(self.tasks)


def eligible_pairs(
    tasks: Sequence[TaskSpec], volunteers: Sequence[VolunteerSpec], now: datetime
) -> Pairs:
    """The plan's graph edges: each task looks only at people who reach its district."""
    arrays = VolunteerArrays(volunteers, now)
    task_parts: list[np.ndarray] = []
    volunteer_parts: list[np.ndarray] = []
    point_parts: list[np.ndarray] = []
    for index, task in enumerate(tasks):
        pool, points = arrays.candidates(task)
        task_parts.append(np.full(len(pool), index, np.int64))
        volunteer_parts.append(pool)
        point_parts.append(points)
    if not task_parts:
        empty = np.empty(0, np.int64)
        return Pairs(empty, empty, empty)
    return Pairs(
        np.concatenate(task_parts), np.concatenate(volunteer_parts), np.concatenate(point_parts)
    )


def plan(
    tasks: Sequence[TaskSpec],
    volunteers: Sequence[VolunteerSpec],
    now: datetime,
    *,
    pairs: Pairs | None = None,
) -> Plan:
    """The plan with the greatest total score, solved as a min-cost flow.

    Graph: source → volunteer (capacity = the volunteer's limit) → task (capacity 1, cost
    = -points) → sink (capacity = the task's free places), plus a source → sink bypass of
    cost 0 so that leaving a place empty is allowed: the solver then finds the maximum-
    weight assignment, not merely the largest one. ``pairs`` may be passed in when the
    caller already computed ``eligible_pairs``.
    """
    if pairs is None:
        pairs = eligible_pairs(tasks, volunteers, now)
    graph = flow_graph(tasks, volunteers, pairs)
    if not len(pairs) or graph.supply == 0:
        return Plan((), 0, len(pairs))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*graph.arcs)
    flow.set_node_supply(graph.source, graph.supply)
    flow.set_node_supply(graph.sink, -graph.supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not find an optimum (status {status})")
    used = flow.flows(np.arange(graph.first_pair_arc, graph.first_pair_arc + len(pairs))) > 0
    pairings = tuple(
        Pairing(tasks[int(t)].id, volunteers[int(v)].id, int(p))
        for t, v, p in zip(
            pairs.tasks[used], pairs.volunteers[used], pairs.points[used], strict=True
        )
    )
    return Plan(pairings, -int(flow.optimal_cost()), len(pairs))


@dataclass(frozen=True)
class FlowGraph:
    """The min-cost-flow graph as arrays (tails, heads, capacities, unit costs)."""

    arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    source: int
    sink: int
    supply: int  # what the source sends (and the sink takes)
    first_pair_arc: int


def flow_graph(
    tasks: Sequence[TaskSpec], volunteers: Sequence[VolunteerSpec], pairs: Pairs
) -> FlowGraph:
    source, sink = 0, 1
    volunteer_node = 2
    task_node = 2 + len(volunteers)
    supply = min(sum(max(0, t.places) for t in tasks), sum(max(0, v.limit) for v in volunteers))
    n_v, n_t, n_p = len(volunteers), len(tasks), len(pairs)
    tails = np.concatenate(
        [
            np.full(n_v, source, np.int64),
            volunteer_node + pairs.volunteers,
            task_node + np.arange(n_t, dtype=np.int64),
            np.array([source], np.int64),
        ]
    )
    heads = np.concatenate(
        [
            volunteer_node + np.arange(n_v, dtype=np.int64),
            task_node + pairs.tasks,
            np.full(n_t, sink, np.int64),
            np.array([sink], np.int64),
        ]
    )
    capacities = np.concatenate(
        [
            np.array([max(0, v.limit) for v in volunteers], np.int64),
            np.ones(n_p, np.int64),
            np.array([max(0, t.places) for t in tasks], np.int64),
            np.array([supply], np.int64),
        ]
    )
    costs = np.concatenate(
        [np.zeros(n_v, np.int64), -pairs.points, np.zeros(n_t, np.int64), np.zeros(1, np.int64)]
    )
    return FlowGraph((tails, heads, capacities, costs), source, sink, supply, n_v)
