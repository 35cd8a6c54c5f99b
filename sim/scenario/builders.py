"""Named constructors of small scenarios with known answers.

:func:`single_level` builds the setting in which the adoption engine must
reproduce theory: one well-mixed level adopting through innovation and
imitation only (Bass 1969), or innovation only (independent exponential
adoption times).  Tests and experiments use it instead of hand-written
dictionaries.
"""

from __future__ import annotations

import datetime as dt

from .schema import Scenario


def single_level(*, count: int, innovation: float, imitation: float = 0.0, days: int = 3 * 365,
                 provinces: int = 1, size_dispersion: float = 0.0, size_elasticity: float = 0.0,
                 seed: int = 1, replications: int = 1, name: str = "single-level") -> Scenario:
    """One level of ``count`` agencies on one platform, hazards per year.

    With ``provinces > 1`` the agencies are split over equally populated
    provinces; without regional terms the level is still well mixed, which
    exercises the province bookkeeping without changing the theory.
    """
    start = dt.date(2009, 8, 14)
    province_names = [f"p{i:02d}" for i in range(provinces)]
    return Scenario.from_dict({
        "name": name,
        "description": "One well-mixed level: the Bass model's setting.",
        "horizon": {"start": start.isoformat(), "end": (start + dt.timedelta(days=days - 1)).isoformat()},
        "seed": seed,
        "replications": replications,
        "population": {"total": 1_000_000, "internet": {"initial_users": 0, "capacity": 0, "growth_rate": 0}},
        "provinces": {p: {"population": 1_000_000 // provinces} for p in province_names},
        "platforms": {"sina": {"label": "Platform", "launch": start.isoformat(),
                               "users": {"innovation": 0, "imitation": 0}}},
        "agencies": {"levels": {"agency": {
            "label": "Agencies",
            "count": count,
            "spread": "population" if provinces > 1 else "national",
            "population_served": 100_000,
            "size_dispersion": size_dispersion,
            "hazard": {"innovation": innovation, "imitation": imitation, "size_elasticity": size_elasticity},
        }}},
        "outputs": {"adoptions": False, "figures": False},
    }, source=name)


def two_tiers(*, upper: dict, lower: dict, upper_count: int = 3, lower_count: int = 3,
              province_populations: tuple[int, ...] = (2_000_000, 1_000_000), days: int = 180,
              seed: int = 1, name: str = "two-tiers") -> Scenario:
    """Two levels (``lower`` under upper-tier pressure from ``upper``) spread over provinces by population.

    ``upper`` and ``lower`` are hazards (per year: innovation, imitation,
    regional_imitation, upper_tier).  Nobody is online, agencies have equal
    weights: a handful of agencies whose law the Kolmogorov forward equations
    give exactly, the setting that tests the regional and upper-tier
    bookkeeping (``tests/test_exact_law.py``).
    """
    start = dt.date(2009, 8, 14)

    def level(label: str, count: int, hazard: dict, parent: str | None) -> dict:
        return {"label": label, "count": count, "spread": "population", "parent": parent,
                "population_served": 100_000, "size_dispersion": 0.0, "hazard": hazard}

    return Scenario.from_dict({
        "name": name,
        "description": "Two tiers in two provinces: a law known exactly.",
        "horizon": {"start": start.isoformat(), "end": (start + dt.timedelta(days=days - 1)).isoformat()},
        "seed": seed,
        "replications": 1,
        "population": {"total": sum(province_populations),
                       "internet": {"initial_users": 0, "capacity": 0, "growth_rate": 0}},
        "provinces": {f"p{i}": {"population": n} for i, n in enumerate(province_populations)},
        "platforms": {"sina": {"label": "Platform", "launch": start.isoformat(),
                               "users": {"innovation": 0, "imitation": 0}}},
        "agencies": {"levels": {"upper": level("Upper tier", upper_count, upper, None),
                                "lower": level("Lower tier", lower_count, lower, "upper")}},
        "outputs": {"adoptions": False, "figures": False},
    }, source=name)
