"""Forecasting made-up monsoon rainfall over several seeds: Chapter 5's live recipe (a 32-unit
LSTM, 300 teacher-forced batches) run from seeds 0 … N−1, for the chapter's weather (persistence
0.8) and for a weather that forgets faster (0.3, practice question 1). Recorded with their
provenance in data/forecast.json, so that what the chapter says about "some seeds" can be checked.

    python scripts/forecast_seeds.py [--seeds 5] [--persistence 0.8 0.3]

Each run: gatelab.forecast.rainfall(seed=s, persistence=φ), torch.manual_seed(s), Forecaster(),
fit(steps=300, seed=s); then the next-day errors on the held-out year (whole year, wet season)
and the error 1 … 30 days ahead of rollouts from every day of it, with climatology,
persistence and the best possible forecast. One thread. Run it niced on a shared machine:
`nice -n 19`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from gatelab import forecast
from gatelab.provenance import record, save

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "data" / "forecast.json"
DEPENDS_ON = ("scripts/forecast_seeds.py", "src/gatelab/forecast.py", "src/gatelab/train.py")
STEPS, DAYS = 300, 30


def run(seed: int, persistence: float) -> dict:
    """One run of the live recipe; errors in mm per day."""
    started = time.perf_counter()
    series = forecast.rainfall(seed=seed, persistence=persistence)
    torch.manual_seed(seed)
    model = forecast.Forecaster()
    forecast.fit(model, series, steps=STEPS, seed=seed)
    next_day = forecast.one_step_errors(series, forecast.one_step(model, series))
    errors = forecast.horizon_errors(model, series, days=DAYS)
    ahead = {name: [round(v, 4) for v in getattr(errors, name).tolist()]
             for name in ("network", "climatology", "persistence", "best")}
    return {"seed": seed, "seconds": round(time.perf_counter() - started, 2),
            "next_day": {name: {"year": round(year, 4), "wet_season": round(wet, 4)}
                         for name, (year, wet) in next_day.items()},
            "days_ahead": ahead, "origins": errors.origins}


def summary(runs: list[dict]) -> dict:
    """What the chapter's prose relies on, counted over the runs."""
    def first_day(run: dict, worse: str, than: str) -> int | None:
        a, b = run["days_ahead"][worse], run["days_ahead"][than]
        return next((d for d, (x, y) in enumerate(zip(a, b, strict=True), 1) if x > y), None)

    day1 = [r["next_day"] for r in runs]
    far = [r["days_ahead"]["network"][-1] / r["days_ahead"]["climatology"][-1] for r in runs]
    return {"runs": len(runs),
            "network_beats_climatology_next_day": sum(
                d["network"]["year"] < d["climatology"]["year"] for d in day1),
            "network_beats_persistence_next_day": sum(
                d["network"]["year"] < d["persistence"]["year"] for d in day1),
            "network_over_climatology_next_day": [round(min(
                d["network"]["year"] / d["climatology"]["year"] for d in day1), 3), round(max(
                    d["network"]["year"] / d["climatology"]["year"] for d in day1), 3)],
            f"network_over_climatology_{DAYS}_days_ahead": [round(min(far), 3),
                                                           round(max(far), 3)],
            "first_day_persistence_worse_than_climatology": [
                first_day(r, "persistence", "climatology") for r in runs]}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--persistence", type=float, nargs="+", default=[0.8, 0.3])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = {"recipe": {"hidden_size": 32, "kind": "LSTM", "steps": STEPS, "window": 60,
                          "batch_size": 32, "years": 30, "days_ahead": DAYS},
               "weather": {}}
    for persistence in args.persistence:
        runs = []
        for seed in range(args.seeds):
            runs.append(run(seed, persistence))
            print(persistence, seed, runs[-1]["next_day"]["network"], flush=True)
        results["weather"][str(persistence)] = {"summary": summary(runs), "runs": runs}
    results["provenance"] = record(
        "scripts/forecast_seeds.py", " ".join(["python scripts/forecast_seeds.py", *argv]), ROOT,
        depends_on=DEPENDS_ON)
    save(RESULTS, results)


if __name__ == "__main__":
    main(sys.argv[1:])
