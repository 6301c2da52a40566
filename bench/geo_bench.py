"""Benchmark: point → buurt, ours (geo.AreaIndex) against geopandas.sjoin on the same data.

Run by hand (geopandas is a benchmark-only dependency, see requirements/bench.in):

    .venv/bin/uv pip install --python .venv/bin/python -r requirements/bench.in
    PYTHONPATH=. .venv/bin/python bench/geo_bench.py [--points 1000000] [--data ../shared/data/geo]

Prints, for the real buurten of four municipalities and a national-size synthetic set:
batch throughput (ours vs geopandas, same points, same answers checked), single-point
lookup latency p50/p99 through ``AreaIndex.locate``, and the memory of the loaded index.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import box

from geo import Area, AreaIndex, area_from_geojson_feature

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"


def real_buurten(data: Path) -> list[Area]:
    features = json.loads((data / "buurten_4gemeenten.geojson").read_text())["features"]
    return [area_from_geojson_feature(f) for f in features]


def synthetic_buurten(columns: int = 120, rows: int = 117) -> list[Area]:
    """~14,000 polygons tiling the Netherlands' bounding box, ~20 vertices each."""
    west, south, east, north = 3.3, 50.75, 7.25, 53.55
    dx, dy = (east - west) / columns, (north - south) / rows
    rng = np.random.default_rng(7)
    areas = []
    for i in range(columns):
        for j in range(rows):
            cell = shapely.segmentize(box(west + i * dx, south + j * dy,
                                          west + (i + 1) * dx, south + (j + 1) * dy), dx / 5)
            code = f"BU{i:04d}{j:04d}"
            areas.append(Area(code, code, "buurt", f"WK{i:04d}{j // 10:02d}", cell))
    rng.shuffle(areas)
    return areas


def random_points(areas: list[Area], count: int, seed: int = 1) -> np.ndarray:
    minx, miny, maxx, maxy = shapely.total_bounds([a.geometry for a in areas])
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)])


def bench_ours(areas: list[Area], points: np.ndarray) -> tuple[float, np.ndarray]:
    index = AreaIndex(areas, snap_distance_m=0)
    start = time.perf_counter()
    found, _ = index.locate_array(points[:, 0], points[:, 1])
    elapsed = time.perf_counter() - start
    codes = np.array(index.buurt_codes + [None], dtype=object)
    return elapsed, codes[found]


def bench_geopandas(areas: list[Area], points: np.ndarray) -> tuple[float, np.ndarray]:
    import geopandas as gpd

    polygons = gpd.GeoDataFrame({"code": [a.code for a in areas]},
                                geometry=[a.geometry for a in areas], crs="EPSG:4326")
    polygons.sindex  # noqa: B018 - build the index before timing, as ours is built before
    start = time.perf_counter()
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(points[:, 0], points[:, 1]),
                             crs="EPSG:4326")
    joined = gpd.sjoin(frame, polygons, how="left", predicate="intersects")
    # A point on a shared border matches twice; keep the lowest code, as ours does.
    joined = joined.sort_values("code").groupby(level=0)["code"].first()
    elapsed = time.perf_counter() - start
    codes = joined.reindex(range(len(points))).to_numpy(dtype=object)
    codes[[not isinstance(code, str) for code in codes]] = None  # NaN → None, as ours
    return elapsed, codes


def latency(areas: list[Area], points: np.ndarray, samples: int = 20000) -> tuple[float, float]:
    index = AreaIndex(areas)
    timings = np.empty(samples)
    for k in range(samples):
        lon, lat = points[k]
        start = time.perf_counter_ns()
        index.locate(lon, lat)
        timings[k] = time.perf_counter_ns() - start
    return float(np.percentile(timings, 50)) / 1000, float(np.percentile(timings, 99)) / 1000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(kind: str, data: Path, queue: Any) -> None:
    areas = real_buurten(data) if kind == "real" else synthetic_buurten()
    gc.collect()
    rss_before = _rss_mb()
    tracemalloc.start()
    index = AreaIndex(areas)
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    queue.put((traced / 1e6, _rss_mb() - rss_before, len(index)))


def index_memory(kind: str, data: Path) -> tuple[float, float]:
    """(MB traced by Python, MB of resident memory added, GEOS included) for one index,
    measured in a fresh process so that freed memory of earlier runs does not hide it."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_measure, args=(kind, data, queue))
    process.start()
    traced, rss, _ = queue.get(timeout=600)
    process.join()
    return traced, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    sets = {"real (4 municipalities)": real_buurten(args.data),
            "synthetic national": synthetic_buurten()}
    for name, areas in sets.items():
        points = random_points(areas, args.points)
        ours_s, ours = bench_ours(areas, points)
        gpd_s, theirs = bench_geopandas(areas, points)
        same = int(np.sum(ours == theirs))
        p50, p99 = latency(areas, points)
        print(f"{name}: {len(areas)} polygons, {args.points:,} points")
        print(f"  batch ours      {ours_s:7.3f} s  {args.points / ours_s:12,.0f} points/s")
        print(f"  batch geopandas {gpd_s:7.3f} s  {args.points / gpd_s:12,.0f} points/s")
        print(f"  ratio geopandas/ours time: {gpd_s / ours_s:.2f}x; "
              f"same answer for {same:,} of {args.points:,} points")
        print(f"  single lookup (locate) p50 {p50:.1f} µs, p99 {p99:.1f} µs")
        traced, rss = index_memory("real" if name.startswith("real") else "synthetic", args.data)
        print(f"  index memory: {traced:.1f} MB traced by Python, +{rss:.1f} MB resident")


if __name__ == "__main__":
    main()
