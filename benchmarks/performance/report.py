"""Write the suite's results: JSON, a Markdown table, and PNG plots (matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


def write(results: dict[str, Any], out: Path) -> None:
    (out / "performance.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    (out / "performance.md").write_text(markdown(results) + "\n", encoding="utf-8")
    plot_throughput(results, out / "performance-throughput.png")
    plot_latency(results, out / "performance-latency.png")
    if results["runs"]["memory"].get("samples"):
        plot_memory(results["runs"]["memory"]["samples"], out / "performance-memory.png")


def markdown(results: dict[str, Any]) -> str:
    runs, m = results["runs"], results["machine"]
    corpus = results["corpus"]
    lines = [
        f"Machine: {m['cores']} cores, {m['cpu']}; Python {m['python']}, trafilatura "
        f"{m['trafilatura']}, kafka-python {m['kafka_python']}; broker {m['broker']}; "
        f"Redis store. {m['date']}, suite {results.get('suite_seconds', 0):.0f} s.",
        "",
        f"Corpus: {corpus['pages']} pages per stream ({corpus['dev_set_pages']} of them real "
        f"dev-set pages), {corpus['bytes_min'] / 1e3:.0f}–{corpus['bytes_max'] / 1e3:.0f} KB "
        f"(median {corpus['bytes_median'] / 1e3:.0f} KB) per raw message.",
        "",
        "| target | measured | bar | met |",
        "| --- | --- | --- | --- |",
    ]
    for t in results["targets"]:
        bar = f"{t['op']} {t['bar']:g}" if t["op"] else "—"
        met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['value']:.3g} | {bar} | {met} |")
    lines += [
        "",
        "| run | articles | articles/s | CPU ms/article | rest of machine (cores) | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows = [
        ("bare trafilatura, 1 process", "bare_1", _rates_note(runs["bare_1"])),
        ("newsflow extract stage alone, 1 process", "stage_1", _rates_note(runs["stage_1"])),
        ("extract service, 1 worker", "worker_1", _stream_note(runs["worker_1"])),
        ("`newsflow process --workers 1`", "process_1", _bulk_note(runs["process_1"])),
        ("bare trafilatura, 2 processes", "bare_2", _rates_note(runs["bare_2"])),
        ("extract service, 2 workers", "worker_2", _stream_note(runs["worker_2"])),
        ("`newsflow process --workers 2`", "process_2", _bulk_note(runs["process_2"])),
        *(
            (
                f"extract service, {n} worker{'s' * (n > 1)}, one CPU each",
                f"confined_worker_{n}",
                _stream_note(runs[f"confined_worker_{n}"]),
            )
            for n in (1, 2)
            if f"confined_worker_{n}" in runs
        ),
        (
            "extract service, 1 worker, 50% re-crawls",
            "recrawl_worker_1",
            _stream_note(runs["recrawl_worker_1"]),
        ),
        ("extract service, 1 worker (memory run)", "memory", _stream_note(runs["memory"])),
        (
            "bare trafilatura, 1 process (before bulk)",
            "bulk_bare_1",
            _rates_note(runs["bulk_bare_1"]),
        ),
        (
            f"`newsflow process --workers {runs['bulk']['workers']}` (bulk)",
            "bulk",
            _bulk_note(runs["bulk"]),
        ),
    ]
    for label, key, note in rows:
        run = runs[key]
        count = run.get("articles", run.get("pages"))
        cpu = run.get("cpu_ms_per_article")
        cpu_text = f"{cpu:.1f}" if cpu is not None else "—"
        other = run.get("other_cores") if "mode" not in run else None  # services, process
        other_text = f"{other:.2f}" if other is not None else "—"
        lines.append(
            f"| {label} | {count} | {run['rate']:.1f} | {cpu_text} | {other_text} | {note} |"
        )
    lat = runs["latency"]
    lines += [
        "",
        f"Latency (ingest + extract, 1 worker each, {lat['articles']} raw messages at "
        f"{lat['rate']:.1f}/s = 50% of the 1-worker rate): p50 {lat['p50'] * 1000:.0f} ms, "
        f"p90 {lat['p90'] * 1000:.0f} ms, p99 {lat['p99'] * 1000:.0f} ms, max "
        f"{lat['max'] * 1000:.0f} ms.",
    ]
    mem = results.get("memory")
    if mem:
        lines += [
            "",
            f"Memory over {mem['articles']} articles (one worker): worker RSS "
            f"{mem['early_mib']['workers']:.0f} MiB after {mem['early_articles']} → "
            f"{mem['end_mib']['workers']:.0f} MiB at the end (peak "
            f"{mem['peak_mib']['workers']:.0f}); extractor child "
            f"{mem['early_mib']['extractors']:.0f} → {mem['end_mib']['extractors']:.0f} MiB "
            f"(peak {mem['peak_mib']['extractors']:.0f}); supervisor "
            f"{mem['end_mib']['supervisor']:.0f} MiB, forkserver "
            f"{mem['end_mib']['forkserver']:.0f} MiB.",
        ]
    profile = results.get("profile")
    if profile:
        lines += ["", *profile_markdown(profile)]
    return "\n".join(lines)


def profile_markdown(profile: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for run in profile.values():
        lines += [
            f"Profile: {run['title']} — {run['articles']} articles, "
            f"{run['ms_per_article']:.1f} ms per article of wall time "
            f"({run['samples']} py-spy samples at {run['rate_hz']} Hz).",
            "",
            "| stage | ms per article | share |",
            "| --- | --- | --- |",
        ]
        lines += _stage_rows(run["stages"])
        child = run.get("extractor")
        if child:
            lines += [
                f"{child['title'].capitalize()} over the same window ({child['samples']} "
                "samples), in ms per article of the worker's time:",
                "",
                "| stage | ms per article | share |",
                "| --- | --- | --- |",
                *_stage_rows(child["stages"]),
            ]
    return lines


def _stage_rows(stages: list[dict[str, Any]]) -> list[str]:
    rows = [
        f"| {stage['stage']} | {stage['ms_per_article']:.2f} | {stage['share']:.1%} |"
        for stage in stages
    ]
    return [*rows, ""]


def _rates_note(run: dict[str, Any]) -> str:
    rates = run.get("rates")
    return "median of " + " / ".join(f"{r:.1f}" for r in rates) if rates else ""


def _rounds_note(run: dict[str, Any]) -> str:
    """A run measured in rounds: each round's rate and its ratio to the round's reference."""
    if "round_ratios" not in run:
        return ""
    rounds = " / ".join(
        f"{rate:.1f} ({ratio:.3f})"
        for rate, ratio in zip(run["round_rates"], run["round_ratios"], strict=True)
    )
    return f"; rounds {rounds} of {run['ratios_of']}; the row shows the run with the median rate"


def _stream_note(run: dict[str, Any]) -> str:
    outcomes = ", ".join(f"{k} {v}" for k, v in run["outcomes"].items() if v)
    sandbox = run.get("extraction_ms_per_article")
    inside = f"; {sandbox:.1f} ms/article extracting in the sandbox child" if sandbox else ""
    broker = run.get("broker_cpu_ms_per_article")
    broker_text = f"; broker CPU {broker:.1f} ms/article" if broker is not None else ""
    return f"{outcomes}{inside}{broker_text}{_rounds_note(run)}"


def _bulk_note(run: dict[str, Any]) -> str:
    outcomes = ", ".join(f"{k} {v}" for k, v in run["outcomes"].items() if v)
    steady = run.get("steady_rate")
    after = (
        f"; {steady:.1f}/s after the first outcome, at {run['first_seconds']:.2f} s"
        if steady
        else ""
    )
    return f"{outcomes}; wall {run['wall_seconds']:.1f} s incl. start-up{after}{_rounds_note(run)}"


def plot_throughput(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["runs"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    series = [
        ("bare trafilatura", "bare", "o-"),
        ("extract service", "worker", "s-"),
        ("newsflow process", "process", "^-"),
    ]
    if "confined_worker_1" in runs:
        series.append(("extract service, one CPU per worker", "confined_worker", "D--"))
    for label, key, style in series:
        rates = [runs[f"{key}_{n}"]["rate"] for n in (1, 2)]
        ax.plot([1, 2], rates, style, label=label)
    one = runs["bare_1"]["rate"]
    ax.plot([1, 2], [one, 2 * one], ":", color="grey", label="linear from bare ×1")
    ax.set_xticks([1, 2])
    ax.set_xlabel("workers (processes)")
    ax.set_ylabel("articles / s")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Throughput vs workers ({results['machine']['cores']} cores)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_latency(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat = results["runs"]["latency"]
    delays = [d * 1000 for d in lat["delays"]]
    fractions = [(i + 1) / len(delays) for i in range(len(delays))]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    ax.step(delays, fractions, where="post")
    for q, name in ((lat["p50"], "p50"), (lat["p99"], "p99")):
        ax.axvline(q * 1000, ls=":", color="grey")
        ax.text(q * 1000, 0.05, f" {name} {q * 1000:.0f} ms", rotation=90, va="bottom")
    ax.set_xlabel("publish → clean event (ms)")
    ax.set_ylabel("fraction of articles")
    ax.set_title(f"Latency CDF at {lat['rate']:.1f} articles/s (50% of capacity)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_soak(results: dict[str, Any], out: Path) -> None:
    """`soak.json`, `soak.md` and the memory plot of a `--soak` run."""
    (out / "soak.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    (out / "soak.md").write_text("\n".join(soak_markdown(results)) + "\n")
    plot_memory(results["run"]["samples"], out / "performance-soak.png")


def soak_markdown(results: dict[str, Any]) -> list[str]:
    mem, run, index = results["memory"], results["run"], results["index"]
    lines = [
        f"Soak: {mem['articles']:,} articles through one extract worker at "
        f"{run['rate']:.1f} articles/s; index at the end: {index['signatures']:,} signatures, "
        f"{index['stories']:,} stories (Redis).",
        "",
        "| RSS (MiB) | after the first tenth | at the end | peak | growth |",
        "| --- | --- | --- | --- | --- |",
    ]
    for role in ("workers", "extractors", "supervisor", "forkserver"):
        lines.append(
            f"| {role} | {mem['early_mib'][role]:.0f} | {mem['end_mib'][role]:.0f} | "
            f"{mem['peak_mib'][role]:.0f} | {mem['growth_mib'][role]:+.0f} |"
        )
    return lines


def plot_memory(samples: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for role in ("workers", "extractors", "supervisor", "forkserver"):
        ax.plot([s["articles"] for s in samples], [s[role] / 2**20 for s in samples], label=role)
    ax.set_xlabel("articles processed")
    ax.set_ylabel("RSS (MiB)")
    ax.set_ylim(bottom=0)
    ax.set_title("Extract service memory, one worker")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
