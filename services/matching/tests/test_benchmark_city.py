"""The synthetic city the benchmark uses: deterministic, and the plan on it is optimal."""

from __future__ import annotations

from matching.benchmark import synthetic_city
from matching.domain.batch_plan import eligible_pairs, plan


def test_a_small_city_is_deterministic_and_plannable() -> None:
    first = synthetic_city(volunteers=400, tasks=60, places=3, seed=5)
    second = synthetic_city(volunteers=400, tasks=60, places=3, seed=5)
    assert first.volunteers == second.volunteers
    assert [t.id for t in first.tasks] == [t.id for t in second.tasks]
    pairs = eligible_pairs(first.tasks, first.volunteers, first.now)
    assert 0 < len(pairs) < 400 * 60
    result = plan(first.tasks, first.volunteers, first.now, pairs=pairs)
    assert 0 < len(result.pairings) <= 60 * 3
    assert result.total_points == sum(p.points for p in result.pairings)
